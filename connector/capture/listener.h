#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include <pqxx/pqxx>

namespace cc::capture {

// Why Listener::wait returned.
enum class WakeReason {
  notified,   // a NOTIFY arrived on the schema's channel
  timed_out,  // the poll interval passed: catch up anyway, since a NOTIFY is only a hint
  woken,      // the wake file descriptor became readable (a signal asked the loop to stop)
  lost,       // the listening connection broke; the caller must catch up after reconnecting
};

// A dedicated connection that LISTENs on the channel the capture triggers NOTIFY. Notifications
// carry only a source name and may be lost (for example while the connection is down), so the run
// loop treats them as wake-up hints and catches up from the watermark after every wake-up.
class Listener {
 public:
  Listener(std::string url, std::string channel);
  ~Listener();

  // Connects and LISTENs. Call before catching up, so that a change committed during the catch-up
  // still wakes the loop. Throws pqxx::broken_connection when the database cannot be reached.
  void connect();
  bool connected() const { return connection_ != nullptr; }
  void disconnect();

  // Waits up to `timeout` for a notification, or for `wake_fd` to become readable (pass -1 for
  // none). Sources named by the notifications received are added to `notified_sources`.
  WakeReason wait(std::chrono::milliseconds timeout, int wake_fd, std::set<std::string>& notified_sources);

  // The server process id of the listening session, for logs and tests.
  int backend_pid() const;

  // The wake lock (sql/005_quiet_capture.sql): while this session holds it, the capture triggers
  // send a NOTIFY; while it does not, they skip it. try_take_wake_lock succeeds only when no
  // writer that skipped its NOTIFY is still open, so a catch-up after it returns true finds every
  // change that did not notify. Both return false when the connection is gone.
  bool try_take_wake_lock();
  void release_wake_lock();
  bool holds_wake_lock() const { return holds_wake_lock_; }

 private:
  class Receiver;

  std::string url_;
  std::string channel_;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<Receiver> receiver_;
  std::set<std::string> pending_;
  bool holds_wake_lock_ = false;
};

}  // namespace cc::capture
