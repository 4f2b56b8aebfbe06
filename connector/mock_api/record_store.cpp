#include "mock_api/record_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace cc::mock_api {

namespace {

std::string errno_text(int error_number) { return std::strerror(error_number); }

// Returns the numeric value of an entry's "id", or nothing if it is not a decimal string.
std::optional<std::uint64_t> parse_id(const nlohmann::ordered_json& entry) {
  auto id = entry.find("id");
  if (id == entry.end() || !id->is_string()) {
    return std::nullopt;
  }
  const auto& text = id->get_ref<const std::string&>();
  if (text.empty() || text.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

RecordStore::RecordStore() = default;

RecordStore::RecordStore(const std::filesystem::path& file) : file_(file) {
  load_existing();
  fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("failed to open store file " + file.string() + ": " + errno_text(errno) +
                             "; check that its folder exists and is writable");
  }
}

RecordStore::~RecordStore() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void RecordStore::load_existing() {
  std::ifstream input(*file_);
  if (!input) {
    return;  // a missing file is created when opened for appending
  }

  std::string line;
  std::size_t line_number = 0;
  while (std::getline(input, line)) {
    line_number++;
    if (line.empty()) {
      continue;
    }
    nlohmann::ordered_json entry = nlohmann::ordered_json::parse(line, nullptr, false);
    std::optional<std::uint64_t> id = entry.is_object() ? parse_id(entry) : std::nullopt;
    if (!id) {
      throw std::runtime_error("store file " + file_->string() + " line " + std::to_string(line_number) +
                               " is not a stored record (a JSON object with a decimal \"id\"); "
                               "repair or remove that line, or pass another --store file");
    }
    entries_.push_back(std::move(entry));
    next_id_ = std::max(next_id_, *id + 1);
  }
}

void RecordStore::append_line(const std::string& line) {
  struct stat before {};
  if (::fstat(fd_, &before) != 0) {
    throw std::runtime_error("failed to stat store file " + file_->string() + ": " + errno_text(errno));
  }

  // Each write() call either advances or fails, so the loop ends after at most line.size() calls.
  std::size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      int error_number = n < 0 ? errno : EIO;
      if (written > 0) {
        // Cut off the partial line so that the next start can still load the file. A failure
        // here is not reported because the write error below is the cause.
        int truncate_result = ::ftruncate(fd_, before.st_size);
        (void)truncate_result;
      }
      throw std::runtime_error("failed to write to store file " + file_->string() + ": " + errno_text(error_number));
    }
    written += static_cast<std::size_t>(n);
  }
}

std::string RecordStore::add(const RecordOrigin& origin, const nlohmann::ordered_json& record) {
  std::lock_guard lock(mutex_);
  std::string id = std::to_string(next_id_);

  nlohmann::ordered_json entry;
  entry["id"] = id;
  entry["received_at"] = origin.received_at;
  entry["content_type"] = origin.content_type;
  entry["auth"] = origin.auth;
  entry["record"] = record;

  // Form values are raw bytes and may be invalid UTF-8. Replacing such bytes with U+FFFD keeps
  // every stored line valid JSON instead of failing the request.
  std::string line = entry.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  if (fd_ >= 0) {
    append_line(line + "\n");
  }

  entries_.push_back(nlohmann::ordered_json::parse(line));
  next_id_++;
  return id;
}

nlohmann::ordered_json RecordStore::entries() const {
  std::lock_guard lock(mutex_);
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const auto& entry : entries_) {
    array.push_back(entry);
  }
  return array;
}

std::size_t RecordStore::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace cc::mock_api
