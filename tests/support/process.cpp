#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <doctest/doctest.h>

extern char** environ;

namespace cc::test {

namespace {

using Clock = std::chrono::steady_clock;

// After the child exits, its output pipe is read for at most this long. A background process
// that the child started may keep the pipe open forever.
constexpr std::chrono::milliseconds kOutputDrainAfterExit{1000};

// Closes a file descriptor when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

 private:
  int fd_;
};

// doctest prints a char* as a pointer, so messages use this std::string instead of strerror().
std::string error_text(int error_number) { return std::strerror(error_number); }

std::string describe_command(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& argument : argv) {
    if (!text.empty()) {
      text += ' ';
    }
    text += argument;
  }
  return text;
}

int exit_code_from_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; entry++) {
    std::string text(*entry);
    auto equals = text.find('=');
    if (equals != std::string::npos) {
      variables[text.substr(0, equals)] = text.substr(equals + 1);
    }
  }
  for (const auto& [name, value] : overrides) {
    variables[name] = value;
  }

  std::vector<std::string> result;
  result.reserve(variables.size());
  for (const auto& [name, value] : variables) {
    result.push_back(name + "=" + value);
  }
  return result;
}

std::vector<char*> c_string_array(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& text : strings) {
    pointers.push_back(text.data());
  }
  pointers.push_back(nullptr);
  return pointers;
}

// Starts argv with the given standard input and output descriptors. Standard error goes to
// the output descriptor as well. The child gets no other descriptor of this process, default signal
// dispositions and an empty signal mask, whatever the test runner has set up.
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, int stdin_fd,
            int output_fd) {
  if (argv.empty()) {
    FAIL("cannot start a process: argv is empty; pass the program as argv[0]");
  }

  std::vector<std::string> arguments = argv;
  std::vector<char*> argument_pointers = c_string_array(arguments);
  std::vector<std::string> environment = merged_environment(env);
  std::vector<char*> environment_pointers = c_string_array(environment);

  posix_spawn_file_actions_t file_actions;
  posix_spawn_file_actions_init(&file_actions);
  posix_spawn_file_actions_adddup2(&file_actions, stdin_fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&file_actions, output_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&file_actions, output_fd, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&file_actions, STDERR_FILENO + 1);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  sigset_t all_signals;
  sigfillset(&all_signals);
  sigdelset(&all_signals, SIGKILL);
  sigdelset(&all_signals, SIGSTOP);
  posix_spawnattr_setsigdefault(&attributes, &all_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  int error = posix_spawnp(&pid, arguments[0].c_str(), &file_actions, &attributes, argument_pointers.data(),
                           environment_pointers.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&file_actions);

  if (error != 0) {
    FAIL("failed to start " << arguments[0] << ": " << error_text(error)
                            << "; check that the program exists and is executable");
  }
  return pid;
}

// Writing to a pipe whose reader has exited raises SIGPIPE, which would end the whole test
// binary. Ignoring it turns that into an EPIPE error from write(). Children still start with
// the default disposition because spawn() resets it.
void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          std::chrono::milliseconds timeout, const std::string& stdin_text) {
  ignore_sigpipe_once();

  int input_pipe[2];
  int output_pipe[2];
  if (::pipe2(input_pipe, O_CLOEXEC) != 0 || ::pipe2(output_pipe, O_CLOEXEC) != 0) {
    FAIL("failed to create a pipe for " << describe_command(argv) << ": " << error_text(errno));
  }
  UniqueFd input_read(input_pipe[0]);
  UniqueFd input_write(input_pipe[1]);
  UniqueFd output_read(output_pipe[0]);
  UniqueFd output_write(output_pipe[1]);

  pid_t pid = spawn(argv, env, input_read.get(), output_write.get());
  input_read.reset();
  output_write.reset();

  if (stdin_text.empty()) {
    input_write.reset();
  } else {
    ::fcntl(input_write.get(), F_SETFL, ::fcntl(input_write.get(), F_GETFL) | O_NONBLOCK);
  }

  std::string output;
  std::size_t stdin_written = 0;
  int status = 0;
  bool exited = false;
  const auto deadline = Clock::now() + timeout;
  Clock::time_point exited_at;

  // Each pass blocks in poll() for at most 50 ms. The loop ends once the child has exited and
  // its output is read, at kOutputDrainAfterExit after the exit, or at the deadline.
  while (true) {
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      exited_at = Clock::now();
    }
    auto now = Clock::now();
    if (exited && (!output_read.is_open() || now - exited_at > kOutputDrainAfterExit)) {
      break;
    }
    if (now >= deadline) {
      break;
    }

    pollfd descriptors[2];
    nfds_t count = 0;
    if (output_read.is_open()) {
      descriptors[count++] = {output_read.get(), POLLIN, 0};
    }
    if (input_write.is_open()) {
      descriptors[count++] = {input_write.get(), POLLOUT, 0};
    }
    if (::poll(descriptors, count, 50) < 0 && errno != EINTR) {
      break;
    }

    for (nfds_t i = 0; i < count; i++) {
      if (descriptors[i].revents == 0) {
        continue;
      }
      if (descriptors[i].fd == output_read.get()) {
        char buffer[65536];
        ssize_t n = ::read(output_read.get(), buffer, sizeof buffer);
        if (n > 0) {
          output.append(buffer, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          output_read.reset();
        }
      } else if (descriptors[i].fd == input_write.get()) {
        ssize_t n = ::write(input_write.get(), stdin_text.data() + stdin_written, stdin_text.size() - stdin_written);
        if (n > 0) {
          stdin_written += static_cast<std::size_t>(n);
        }
        // EPIPE means the child closed its standard input, so it does not need the rest of the text.
        if (stdin_written == stdin_text.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          input_write.reset();
        }
      }
    }
  }

  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL(describe_command(argv) << " did not finish within " << timeout.count()
                                << " ms and was killed; output so far:\n"
                                << output);
  }
  return ProcessResult{exit_code_from_status(status), output};
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                           const std::string& log_path)
    : log_path_(log_path) {
  UniqueFd log_file(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!log_file.is_open()) {
    FAIL("failed to create log file " << log_path << ": " << error_text(errno));
  }
  UniqueFd null_input(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null_input.is_open()) {
    FAIL("failed to open /dev/null: " << error_text(errno));
  }
  pid_ = spawn(argv, env, null_input.get(), log_file.get());
}

ChildProcess::~ChildProcess() {
  try {
    if (pid_ > 0 && running()) {
      ::kill(pid_, SIGTERM);
      if (!wait_for_exit(std::chrono::seconds(10))) {
        ::kill(pid_, SIGKILL);
        wait_for_exit(std::chrono::seconds(10));
      }
    }
  } catch (...) {
    // A destructor must not throw. At worst the process is left for init to reap.
  }
}

pid_t ChildProcess::pid() const { return pid_; }

bool ChildProcess::running() {
  if (exit_code_ || pid_ <= 0) {
    return false;
  }
  int status = 0;
  pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == 0) {
    return true;
  }
  // -1 means the child was already reaped elsewhere, so its status is unknown.
  exit_code_ = result == pid_ ? exit_code_from_status(status) : -1;
  return false;
}

void ChildProcess::send_signal(int signal_number) {
  // Once reaped, the pid may belong to an unrelated process, so signal only a running child.
  if (running()) {
    ::kill(pid_, signal_number);
  }
}

std::optional<int> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Each pass sleeps 10 ms, so the loop ends within the timeout plus 10 ms.
  while (running()) {
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

std::string ChildProcess::log() const {
  std::ifstream input(log_path_, std::ios::binary);
  std::ostringstream content;
  content << input.rdbuf();
  return content.str();
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // Each pass sleeps at most 50 ms, so the loop ends within the timeout plus one condition call.
  while (true) {
    bool result = condition();
    auto now = Clock::now();
    if (result || now >= deadline) {
      return result;
    }
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::this_thread::sleep_for(std::min(remaining, std::chrono::milliseconds(50)));
  }
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/cc-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("failed to create a temporary directory from " + pattern + ": " + error_text(errno) +
                             "; check that TMPDIR names a writable directory");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

const std::string& TempDir::path() const { return path_; }

}  // namespace cc::test
