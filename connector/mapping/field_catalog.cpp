#include "mapping/field_catalog.h"

#include "mapping/transforms.h"

#include <date/date.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <regex>
#include <sstream>

namespace cc::mapping {

namespace {

bool is_blank(const std::string& value) {
  return apply_transform("trim", value, {}).empty();
}

std::optional<std::string> check_state(const std::string& value) {
  std::string code;
  try {
    code = apply_transform("state_code", value, {});
  } catch (const TransformError&) {
    return quote_value(value) +
           " is not a US state or Canadian province code; expected two uppercase letters such as IL or QC";
  }
  if (code != value) {
    return quote_value(value) + " is not a two-letter uppercase code; use '" + code + "'";
  }
  return std::nullopt;
}

// The API documents "at least a 5-digit zip code", but it also serves Canadian contractors, whose
// addresses carry a postal code such as V8B 0A1, so both are accepted.
std::optional<std::string> check_zip(const std::string& value) {
  // ZIP and ZIP+4 notation: digits, optionally split by hyphens, starting with a digit.
  static const std::regex zip_characters(R"(^\d[\d-]*$)");
  // Canada Post never uses D, F, I, O, Q or U, and never starts a postal code with W or Z.
  static const std::regex canadian_postal_code(R"(^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$)",
                                               std::regex::ECMAScript | std::regex::icase);

  const std::string expected =
      "expected a US ZIP code of at least 5 digits such as 27513 or 27513-1234, or a Canadian postal code "
      "such as V8B 0A1";
  if (std::regex_match(value, canadian_postal_code)) {
    return std::nullopt;
  }
  if (value.size() > 64 || !std::regex_match(value, zip_characters)) {
    return quote_value(value) + " is not a ZIP or postal code; " + expected;
  }
  const auto digit_count = std::count_if(value.begin(), value.end(), [](char c) { return c != '-'; });
  if (digit_count < 5) {
    return quote_value(value) + " has " + std::to_string(digit_count) + " digits; " + expected;
  }
  return std::nullopt;
}

std::optional<std::string> check_datetime(const std::string& value) {
  static const std::regex mysql_form(R"(^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$)");
  if (value.size() > 64 || !std::regex_match(value, mysql_form)) {
    return quote_value(value) +
           " is not in the form YYYY-MM-DD HH:MM:SS; expected a value such as 2024-03-10 08:30:00, which the "
           "mysql_datetime transform produces";
  }

  // date::parse fails on days that do not exist, such as 2015-02-30, and on times such as 24:00:00.
  std::istringstream stream(value);
  date::local_seconds parsed;
  stream >> date::parse("%Y-%m-%d %H:%M:%S", parsed);
  if (stream.fail()) {
    return quote_value(value) + " is not a valid calendar date and time; expected a value such as 2024-03-10 08:30:00";
  }
  return std::nullopt;
}

// A plausibility check rather than RFC 5322: exactly one @, a non-empty local part, and a domain
// with at least one dot between non-empty labels, with no whitespace anywhere.
std::optional<std::string> check_email(const std::string& value) {
  const std::string problem =
      " is not a plausible email address; expected a name, one @ and a domain such as example.com, "
      "with no spaces";
  const bool has_whitespace = std::any_of(value.begin(), value.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
  });
  const std::size_t at = value.find('@');
  if (has_whitespace || at == std::string::npos || at == 0 || value.find('@', at + 1) != std::string::npos) {
    return quote_value(value) + problem;
  }

  const std::string_view domain = std::string_view(value).substr(at + 1);
  const bool domain_plausible = domain.find('.') != std::string_view::npos && !domain.starts_with('.') &&
                                !domain.ends_with('.') && domain.find("..") == std::string_view::npos;
  if (!domain_plausible) {
    return quote_value(value) + problem;
  }
  return std::nullopt;
}

std::optional<std::string> check_phone(const std::string& value) {
  try {
    apply_transform("phone", value, {});
  } catch (const TransformError& error) {
    // The transform's message starts with the transform name, which is noise next to a field name.
    constexpr std::string_view transform_prefix = "phone: ";
    std::string_view message = error.what();
    if (message.starts_with(transform_prefix)) {
      message.remove_prefix(transform_prefix.size());
    }
    return std::string(message);
  }
  return std::nullopt;
}

std::optional<std::string> check_degrees(const std::string& value, std::string_view axis, double limit) {
  const std::string expected = "expected " + std::string(axis) + " in decimal degrees from " +
                               std::to_string(static_cast<int>(-limit)) + " to " +
                               std::to_string(static_cast<int>(limit)) + ", such as " +
                               (limit == 90 ? "41.8781" : "-87.6298");
  double degrees = 0;
  const char* end = value.data() + value.size();
  const auto [parsed_end, error] = std::from_chars(value.data(), end, degrees, std::chars_format::fixed);
  if (error != std::errc() || parsed_end != end || !std::isfinite(degrees)) {
    return quote_value(value) + " is not a number; " + expected;
  }
  if (degrees < -limit || degrees > limit) {
    return quote_value(value) + " is out of range; " + expected;
  }
  return std::nullopt;
}

// Returns the problem with a non-blank value of the given kind, or nothing when it is acceptable.
std::optional<std::string> check_kind(FieldKind kind, const std::string& value) {
  switch (kind) {
    case FieldKind::text:
    case FieldKind::free_text:
      return std::nullopt;
    case FieldKind::state:
      return check_state(value);
    case FieldKind::zip:
      return check_zip(value);
    case FieldKind::datetime:
      return check_datetime(value);
    case FieldKind::email:
      return check_email(value);
    case FieldKind::phone:
      return check_phone(value);
    case FieldKind::latitude:
      return check_degrees(value, "latitude", 90);
    case FieldKind::longitude:
      return check_degrees(value, "longitude", 180);
  }
  return std::nullopt;
}

std::optional<std::string> check_length(const std::string& value, std::size_t max_length) {
  const std::size_t length = count_characters(value);
  if (length <= max_length) {
    return std::nullopt;
  }
  return quote_value(value) + " is " + std::to_string(length) + " characters; the API stores at most " +
         std::to_string(max_length);
}

}  // namespace

const std::vector<FieldRule>& field_catalog() {
  static const std::vector<FieldRule> catalog = {
      {"req_firstname", FieldKind::text, true, 0},
      {"req_lastname", FieldKind::text, true, 0},
      {"req_accountname", FieldKind::text, true, 0},
      {"req_street", FieldKind::text, true, 0},
      {"req_city", FieldKind::text, true, 0},
      {"req_state", FieldKind::state, true, 2},
      {"req_zip", FieldKind::zip, true, 0},
      {"req_oppdate", FieldKind::datetime, true, 0},
      {"req_oppnum", FieldKind::text, true, 0},  // the shop's job number
      {"opt_emailPrimary", FieldKind::email, false, 0},
      {"opt_phonePrimary", FieldKind::phone, false, 0},
      {"opt_phoneAlternate", FieldKind::phone, false, 0},
      {"opt_oppname", FieldKind::free_text, false, 0},
      {"opt_note1", FieldKind::free_text, false, 0},
      {"opt_note2", FieldKind::free_text, false, 0},
      {"opt_note3", FieldKind::free_text, false, 0},
      {"opt_note4", FieldKind::free_text, false, 0},
      {"opt_lat", FieldKind::latitude, false, 0},
      {"opt_long", FieldKind::longitude, false, 0},
      {"source", FieldKind::text, false, 155},
  };
  return catalog;
}

const FieldRule* find_field_rule(std::string_view name) {
  const std::vector<FieldRule>& catalog = field_catalog();
  const auto found =
      std::find_if(catalog.begin(), catalog.end(), [name](const FieldRule& rule) { return rule.name == name; });
  return found == catalog.end() ? nullptr : &*found;
}

std::vector<FieldProblem> validate_record(const ImportRecord& record) {
  std::vector<FieldProblem> problems;

  for (const FieldRule& rule : field_catalog()) {
    const std::string name(rule.name);
    const auto found = record.find(name);
    if (found == record.end()) {
      if (rule.required) {
        problems.push_back({name, "is required but missing"});
      }
      continue;
    }

    const std::string& value = found->second;
    if (is_blank(value)) {
      if (rule.required) {
        problems.push_back({name, "is required but empty"});
      }
      continue;
    }

    // A value that breaks its kind gets that one problem only. Every state that passes the state
    // check fits its 2-character limit anyway, so a second length problem would repeat it.
    if (auto problem = check_kind(rule.kind, value)) {
      problems.push_back({name, std::move(*problem)});
      continue;
    }
    if (rule.max_length > 0) {
      if (auto problem = check_length(value, rule.max_length)) {
        problems.push_back({name, std::move(*problem)});
      }
    }
  }

  // ImportRecord is ordered by name, so fields outside the catalog come out in name order.
  for (const auto& [name, value] : record) {
    if (find_field_rule(name) != nullptr) {
      continue;
    }
    if (auto problem = check_length(value, unknown_field_max_length)) {
      problems.push_back({name, std::move(*problem)});
    }
  }
  return problems;
}

}  // namespace cc::mapping
