#include "capture/listener.h"

#include <poll.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/database.h"

namespace cc::capture {

class Listener::Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& connection, const std::string& channel, std::set<std::string>& sources)
      : pqxx::notification_receiver(connection, channel), sources_(sources) {}

  void operator()(const std::string& payload, int) override { sources_.insert(payload); }

 private:
  std::set<std::string>& sources_;
};

Listener::Listener(std::string url, std::string channel) : url_(std::move(url)), channel_(std::move(channel)) {}

Listener::~Listener() {
  disconnect();
}

void Listener::connect() {
  disconnect();
  connection_ = open_connection(url_, "cc-connector listener");
  // Constructing the receiver sends LISTEN on the open connection.
  receiver_ = std::make_unique<Receiver>(*connection_, channel_, pending_);
  spdlog::debug("listening channel={} backend_pid={}", channel_, connection_->backendpid());
}

namespace {

// The advisory lock class of the wake lock. The object is hashtext of the schema name, and the
// trigger function that sql/005_quiet_capture.sql generates uses the same two numbers.
constexpr int wake_lock_class = 1667463009;

}  // namespace

void Listener::disconnect() {
  // The server releases a session's advisory locks when the session ends.
  holds_wake_lock_ = false;
  // The receiver must go before its connection; its destructor UNLISTENs, which fails quietly
  // on a broken connection.
  try {
    receiver_.reset();
  } catch (const std::exception& error) {
    spdlog::debug("ignoring UNLISTEN failure on a closing connection: {}", error.what());
  }
  connection_.reset();
}

bool Listener::try_take_wake_lock() {
  if (!connection_) {
    return false;
  }
  if (holds_wake_lock_) {
    return true;
  }
  pqxx::nontransaction session(*connection_);
  holds_wake_lock_ =
      session.exec_params("SELECT pg_try_advisory_lock($1, hashtext($2))", wake_lock_class, channel_)[0][0].as<bool>();
  return holds_wake_lock_;
}

void Listener::release_wake_lock() {
  if (!connection_ || !holds_wake_lock_) {
    return;
  }
  pqxx::nontransaction session(*connection_);
  session.exec_params("SELECT pg_advisory_unlock($1, hashtext($2))", wake_lock_class, channel_);
  holds_wake_lock_ = false;
}

int Listener::backend_pid() const {
  return connection_ ? connection_->backendpid() : 0;
}

WakeReason Listener::wait(std::chrono::milliseconds timeout, int wake_fd, std::set<std::string>& notified_sources) {
  if (!connection_) {
    return WakeReason::lost;
  }

  auto collect = [&]() {
    notified_sources.insert(pending_.begin(), pending_.end());
    bool any = !pending_.empty();
    pending_.clear();
    return any;
  };

  try {
    // Notifications that arrived while the loop was busy are already buffered in libpq.
    connection_->get_notifs();
    if (collect()) {
      return WakeReason::notified;
    }

    pollfd fds[2] = {{connection_->sock(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int count = ::poll(fds, wake_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    if (count < 0 && errno != EINTR) {
      spdlog::warn("poll on the listening connection failed: {}", std::strerror(errno));
    }
    if (wake_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
      return WakeReason::woken;
    }
    if (count <= 0) {
      return WakeReason::timed_out;
    }

    connection_->get_notifs();
    if (!connection_->is_open()) {
      throw pqxx::broken_connection("the server closed the listening connection");
    }
    if (collect()) {
      return WakeReason::notified;
    }
    if ((fds[0].revents & (POLLERR | POLLHUP)) != 0) {
      throw pqxx::broken_connection("the listening connection's socket was closed");
    }
    return WakeReason::timed_out;
  } catch (const pqxx::broken_connection& error) {
    spdlog::warn("listening connection lost: {}; reconnecting and catching up from the watermark", error.what());
    disconnect();
    return WakeReason::lost;
  }
}

}  // namespace cc::capture
