#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cc::test {

struct ProcessResult {
  int exit_code;       // the exit status, or 128 + the signal number if a signal ended the process
  std::string output;  // standard output and standard error, interleaved as written
};

// Runs argv[0] (an absolute path, or a name looked up on PATH) to completion. `env` adds
// variables to the current environment or overrides them, and `stdin_text` is written to the
// child's standard input, which is then closed. If the process is still running after
// `timeout`, it is killed with SIGKILL and the current test fails (doctest FAIL).
ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(120),
                          const std::string& stdin_text = "");

// A background process whose standard output and standard error go to a log file.
// Its standard input is /dev/null. The constructor fails the current test if the program
// cannot be started.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& log_path);
  // Sends SIGTERM, waits up to 10 s, then sends SIGKILL. Never throws.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const;
  // Returns whether the process is still running, and reaps it if it has exited.
  bool running();
  void send_signal(int signal_number);
  // Returns the exit status (128 + signal number if a signal ended it), or nothing on timeout.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  // Returns the log file's contents so far.
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

// Polls `condition` every 50 ms until it returns true or `timeout` passes. Returns its last result.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// A fresh directory under $TMPDIR (or /tmp), removed with its contents by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const;

 private:
  std::string path_;
};

}  // namespace cc::test
