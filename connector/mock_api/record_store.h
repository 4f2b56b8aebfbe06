#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cc::mock_api {

// Arrival details of an accepted record, stored next to its fields.
struct RecordOrigin {
  std::string received_at;   // UTC, ISO 8601 with microseconds
  std::string content_type;  // "form" or "json"
  std::string auth;          // "standard" or "double"
};

// The records that cc-mock-api accepted, in memory and optionally in a JSON-lines file.
//
// Each entry is {"id", "received_at", "content_type", "auth", "record"}, and ids are the
// sequence numbers "1", "2", ... in acceptance order. The in-memory entries are parsed back
// from the written lines, so they always equal the file's content. Thread-safe.
class RecordStore {
 public:
  // Keeps records in memory only.
  RecordStore();

  // Opens `file` for appending, creating it if needed. Entries already in the file are loaded
  // and the id sequence continues after the largest id, so a restarted server never reuses an id.
  // Throws std::runtime_error naming the file and line if it cannot be opened or parsed.
  explicit RecordStore(const std::filesystem::path& file);

  ~RecordStore();
  RecordStore(const RecordStore&) = delete;
  RecordStore& operator=(const RecordStore&) = delete;

  // Assigns the next id and stores the entry, flushing it to the file before returning.
  // Returns the id. Throws std::runtime_error if the file write fails, and then stores nothing.
  std::string add(const RecordOrigin& origin, const nlohmann::ordered_json& record);

  nlohmann::ordered_json entries() const;  // a JSON array of all entries, oldest first
  std::size_t size() const;
  const std::optional<std::filesystem::path>& file() const { return file_; }

 private:
  void load_existing();
  void append_line(const std::string& line);

  mutable std::mutex mutex_;
  std::optional<std::filesystem::path> file_;
  int fd_ = -1;
  std::vector<nlohmann::ordered_json> entries_;
  std::uint64_t next_id_ = 1;
};

}  // namespace cc::mock_api
