#include "common/duration.h"

#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace {

using cc::format_duration;
using cc::parse_duration;
using std::chrono::milliseconds;

struct DurationCase {
  std::string text;
  long long expected_ms;
};

}  // namespace

TEST_CASE("parse_duration reads each unit") {
  const std::vector<DurationCase> cases = {
      {"250ms", 250},        {"30s", 30'000},     {"5m", 300'000},
      {"1h", 3'600'000},     {"2d", 172'800'000}, {"0s", 0},
      {"0ms", 0},            {"1000ms", 1'000},   {"007s", 7'000},
  };
  for (const DurationCase& test_case : cases) {
    CAPTURE(test_case.text);
    const std::optional<milliseconds> parsed = parse_duration(test_case.text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->count() == test_case.expected_ms);
  }
}

TEST_CASE("parse_duration adds compound parts") {
  const std::vector<DurationCase> cases = {
      {"1m30s", 90'000},
      {"1h30m", 5'400'000},
      {"1s500ms", 1'500},
      {"1d2h3m4s5ms", 93'784'005},
  };
  for (const DurationCase& test_case : cases) {
    CAPTURE(test_case.text);
    const std::optional<milliseconds> parsed = parse_duration(test_case.text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->count() == test_case.expected_ms);
  }
}

TEST_CASE("parse_duration rejects a bare number") {
  CHECK_FALSE(parse_duration("30").has_value());
  CHECK_FALSE(parse_duration("0").has_value());
  CHECK_FALSE(parse_duration("1m30").has_value());
}

TEST_CASE("parse_duration rejects invalid text") {
  const std::vector<std::string> rejected = {
      "",      "s",     "ms",    "30x",   "30sec", "30S",  "1.5s", "-5s",  "+5s",
      " 30s",  "30s ",  "30 s",  "1m 30s", "5m,",  "h1",   "1e3ms", "30ss",
  };
  for (const std::string& text : rejected) {
    CAPTURE(text);
    CHECK_FALSE(parse_duration(text).has_value());
  }
}

TEST_CASE("parse_duration rejects oversized numbers") {
  const std::optional<milliseconds> largest = parse_duration("1000000000ms");
  REQUIRE(largest.has_value());
  CHECK(largest->count() == 1'000'000'000);

  CHECK_FALSE(parse_duration("1000000001ms").has_value());
  CHECK_FALSE(parse_duration("99999999999999999999999s").has_value());
}

TEST_CASE("format_duration picks the unit") {
  CHECK(format_duration(milliseconds(0)) == "0ms");
  CHECK(format_duration(milliseconds(850)) == "850ms");
  CHECK(format_duration(milliseconds(999)) == "999ms");
  CHECK(format_duration(milliseconds(1'000)) == "1s");
  CHECK(format_duration(milliseconds(42'000)) == "42s");
  CHECK(format_duration(milliseconds(60'000)) == "1m00s");
  CHECK(format_duration(milliseconds(185'000)) == "3m05s");
  CHECK(format_duration(milliseconds(3'600'000)) == "1h00m");
  CHECK(format_duration(milliseconds(7'800'000)) == "2h10m");
  CHECK(format_duration(milliseconds(86'400'000)) == "1d0h");
  CHECK(format_duration(milliseconds(273'600'000)) == "3d4h");
}

TEST_CASE("format_duration drops smaller units") {
  CHECK(format_duration(milliseconds(1'999)) == "1s");
  CHECK(format_duration(milliseconds(59'999)) == "59s");
  CHECK(format_duration(milliseconds(3'599'999)) == "59m59s");
  CHECK(format_duration(milliseconds(86'399'999)) == "23h59m");
}

TEST_CASE("format_duration of negative duration") {
  CHECK(format_duration(milliseconds(-850)) == "-850ms");
  CHECK(format_duration(milliseconds(-185'000)) == "-3m05s");
}

TEST_CASE("format_duration output parses back") {
  const std::vector<long long> values_ms = {0, 850, 42'000, 185'000, 7'800'000, 273'600'000};
  for (long long value_ms : values_ms) {
    CAPTURE(value_ms);
    const std::string text = format_duration(milliseconds(value_ms));
    const std::optional<milliseconds> parsed = parse_duration(text);
    REQUIRE(parsed.has_value());
    CHECK(parsed->count() == value_ms);
  }
}
