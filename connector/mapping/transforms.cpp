#include "mapping/transforms.h"

#include <date/date.h>
#include <date/tz.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <regex>
#include <sstream>

namespace cc::mapping::detail {

namespace {

constexpr std::size_t quoted_value_max_characters = 60;

// Maximum length of text that the phone and date patterns are matched against. Phone numbers
// and dates are far shorter, and the bound keeps libstdc++'s recursive std::regex from deep
// recursion on long free text.
constexpr std::size_t max_pattern_input_bytes = 100;

// ---------------------------------------------------------------------------------------------
// UTF-8 and whitespace helpers

bool is_continuation_byte(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

constexpr std::string_view no_break_space = "\xC2\xA0";  // U+00A0 in UTF-8

// Byte length of the leading whitespace character of text (ASCII whitespace or U+00A0), or 0.
std::size_t leading_space_length(std::string_view text) {
  if (!text.empty() && is_ascii_space(text.front())) {
    return 1;
  }
  return text.starts_with(no_break_space) ? no_break_space.size() : 0;
}

// Byte length of the trailing whitespace character of text. 0xC2 is never a continuation byte,
// so a trailing C2 A0 pair is always a whole U+00A0.
std::size_t trailing_space_length(std::string_view text) {
  if (!text.empty() && is_ascii_space(text.back())) {
    return 1;
  }
  return text.ends_with(no_break_space) ? no_break_space.size() : 0;
}

// Byte offset where the code point after the first `count` code points starts, or text.size().
std::size_t byte_offset_after_characters(std::string_view text, std::size_t count) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_continuation_byte(text[i])) {
      continue;
    }
    if (seen == count) {
      return i;
    }
    ++seen;
  }
  return text.size();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Helpers shared with the other transforms*.cpp files

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trim_view(std::string_view text) {
  for (std::size_t length = leading_space_length(text); length > 0; length = leading_space_length(text)) {
    text.remove_prefix(length);
  }
  for (std::size_t length = trailing_space_length(text); length > 0; length = trailing_space_length(text)) {
    text.remove_suffix(length);
  }
  return text;
}

char to_ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

char to_ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_ascii_upper(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    c = to_ascii_upper(c);
  }
  return result;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_ascii_lower(a[i]) != to_ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string transform_error_text(std::string_view transform, std::string_view value, std::string_view problem) {
  std::string text(transform);
  text += ": ";
  text += quote_value(value);
  text += ' ';
  text += problem;
  return text;
}

std::optional<std::size_t> parse_count(std::string_view text) {
  const bool all_digits = std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (text.empty() || text.size() > 9 || !all_digits) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoul(std::string(text)));
}

const std::string* argument_value(const TransformStep& step, std::string_view name) {
  const auto found = step.arguments.find(std::string(name));
  if (found == step.arguments.end() || found->second.empty()) {
    return nullptr;
  }
  return &found->second.front();
}

// ---------------------------------------------------------------------------------------------
// trim, upper, lower, digits, truncate

std::optional<std::string> trim(const TransformStep&, const std::string& value, const TransformContext&) {
  return std::string(trim_view(value));
}

// Bytes of 0x80 and above pass through, so UTF-8 letters such as the é in "Québec" are kept intact
// and only ASCII letters change case.
std::optional<std::string> upper(const TransformStep&, const std::string& value, const TransformContext&) {
  return to_ascii_upper(value);
}

std::optional<std::string> lower(const TransformStep&, const std::string& value, const TransformContext&) {
  std::string result = value;
  std::transform(result.begin(), result.end(), result.begin(), [](char c) { return to_ascii_lower(c); });
  return result;
}

std::optional<std::string> digits(const TransformStep&, const std::string& value, const TransformContext&) {
  std::string result;
  std::copy_if(value.begin(), value.end(), std::back_inserter(result), [](char c) { return c >= '0' && c <= '9'; });
  return result;
}

// The `length` argument, when given, replaces the field's max_length. apply_transform has
// already checked that it is a whole number above 0.
std::optional<std::string> truncate(const TransformStep& step, const std::string& value, const TransformContext& context) {
  std::size_t max_length = context.max_length;
  if (const std::string* length = argument_value(step, "length")) {
    max_length = parse_count(*length).value_or(max_length);
  }
  if (max_length == 0) {
    return value;
  }
  return value.substr(0, byte_offset_after_characters(value, max_length));
}

// ---------------------------------------------------------------------------------------------
// state_code

namespace {

struct Region {
  std::string_view key;   // an uppercase name as normalize_region_name leaves it
  std::string_view code;  // USPS or Canada Post two-letter code
};

// Full names, common alternative names, and the official French names of the Canadian provinces
// and territories, because Canada is bilingual and French records use those names.
constexpr std::array regions = {
    Region{"ALABAMA", "AL"}, Region{"ALASKA", "AK"}, Region{"ARIZONA", "AZ"}, Region{"ARKANSAS", "AR"},
    Region{"CALIFORNIA", "CA"}, Region{"COLORADO", "CO"}, Region{"CONNECTICUT", "CT"},
    Region{"DELAWARE", "DE"}, Region{"FLORIDA", "FL"}, Region{"GEORGIA", "GA"}, Region{"HAWAII", "HI"},
    Region{"IDAHO", "ID"}, Region{"ILLINOIS", "IL"}, Region{"INDIANA", "IN"}, Region{"IOWA", "IA"},
    Region{"KANSAS", "KS"}, Region{"KENTUCKY", "KY"}, Region{"LOUISIANA", "LA"}, Region{"MAINE", "ME"},
    Region{"MARYLAND", "MD"}, Region{"MASSACHUSETTS", "MA"}, Region{"MICHIGAN", "MI"},
    Region{"MINNESOTA", "MN"}, Region{"MISSISSIPPI", "MS"}, Region{"MISSOURI", "MO"},
    Region{"MONTANA", "MT"}, Region{"NEBRASKA", "NE"}, Region{"NEVADA", "NV"},
    Region{"NEW HAMPSHIRE", "NH"}, Region{"NEW JERSEY", "NJ"}, Region{"NEW MEXICO", "NM"},
    Region{"NEW YORK", "NY"}, Region{"NORTH CAROLINA", "NC"}, Region{"NORTH DAKOTA", "ND"},
    Region{"OHIO", "OH"}, Region{"OKLAHOMA", "OK"}, Region{"OREGON", "OR"},
    Region{"PENNSYLVANIA", "PA"}, Region{"RHODE ISLAND", "RI"}, Region{"SOUTH CAROLINA", "SC"},
    Region{"SOUTH DAKOTA", "SD"}, Region{"TENNESSEE", "TN"}, Region{"TEXAS", "TX"}, Region{"UTAH", "UT"},
    Region{"VERMONT", "VT"}, Region{"VIRGINIA", "VA"}, Region{"WASHINGTON", "WA"},
    Region{"WEST VIRGINIA", "WV"}, Region{"WISCONSIN", "WI"}, Region{"WYOMING", "WY"},
    Region{"DISTRICT OF COLUMBIA", "DC"}, Region{"WASHINGTON DC", "DC"},
    Region{"PUERTO RICO", "PR"}, Region{"GUAM", "GU"}, Region{"VIRGIN ISLANDS", "VI"},
    Region{"US VIRGIN ISLANDS", "VI"}, Region{"UNITED STATES VIRGIN ISLANDS", "VI"},
    Region{"AMERICAN SAMOA", "AS"}, Region{"NORTHERN MARIANA ISLANDS", "MP"},
    Region{"ALBERTA", "AB"}, Region{"BRITISH COLUMBIA", "BC"}, Region{"COLOMBIE BRITANNIQUE", "BC"},
    Region{"MANITOBA", "MB"}, Region{"NEW BRUNSWICK", "NB"}, Region{"NOUVEAU BRUNSWICK", "NB"},
    Region{"NEWFOUNDLAND AND LABRADOR", "NL"}, Region{"NEWFOUNDLAND", "NL"},
    Region{"TERRE NEUVE ET LABRADOR", "NL"}, Region{"NOVA SCOTIA", "NS"},
    Region{"NOUVELLE ECOSSE", "NS"}, Region{"NORTHWEST TERRITORIES", "NT"},
    Region{"TERRITOIRES DU NORD OUEST", "NT"}, Region{"NUNAVUT", "NU"}, Region{"ONTARIO", "ON"},
    Region{"PRINCE EDWARD ISLAND", "PE"}, Region{"PEI", "PE"}, Region{"ILE DU PRINCE EDOUARD", "PE"},
    Region{"QUEBEC", "QC"}, Region{"SASKATCHEWAN", "SK"}, Region{"YUKON", "YT"},
    Region{"YUKON TERRITORY", "YT"},
};

bool is_region_code(std::string_view code) {
  return std::any_of(regions.begin(), regions.end(), [code](const Region& region) { return region.code == code; });
}

// ASCII base letters for U+00C0..U+00FF, whose UTF-8 form is C3 80..C3 BF, so that "Québec" and
// "Île-du-Prince-Édouard" match. '?' marks characters without a single base letter.
constexpr std::string_view latin1_base_letters =
    "AAAAAA?CEEEEIIII"
    "DNOOOOO?OUUUUY??"
    "aaaaaa?ceeeeiiii"
    "dnooooo?ouuuuy?y";

// Reduces a state or province as written to a lookup key: accents folded, periods dropped,
// hyphens and commas read as spaces, "&" read as "AND", runs of whitespace collapsed and the
// letters uppercased. "n.c." becomes "NC" and " Terre-Neuve-et-Labrador " becomes
// "TERRE NEUVE ET LABRADOR".
std::string normalize_region_name(std::string_view text) {
  std::string spaced;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\xC3' && i + 1 < text.size() && is_continuation_byte(text[i + 1])) {
      const char base = latin1_base_letters[static_cast<unsigned char>(text[i + 1]) - 0x80];
      if (base != '?') {
        spaced += to_ascii_upper(base);
        ++i;
        continue;
      }
    }
    if (c == '.') {
      continue;
    }
    if (c == '-' || c == ',') {
      spaced += ' ';
    } else if (c == '&') {
      spaced += " AND ";
    } else {
      spaced += to_ascii_upper(c);
    }
  }

  std::string key;
  bool space_pending = false;
  std::string_view rest = trim_view(spaced);
  while (!rest.empty()) {
    const std::size_t space = leading_space_length(rest);
    if (space > 0) {
      space_pending = true;
      rest.remove_prefix(space);
      continue;
    }
    if (space_pending) {
      key += ' ';
      space_pending = false;
    }
    key += rest.front();
    rest.remove_prefix(1);
  }
  return key;
}

}  // namespace

std::string region_code(std::string_view text) {
  const std::string key = normalize_region_name(text);
  if (key.size() == 2 && is_region_code(key)) {
    return key;
  }
  for (const Region& region : regions) {
    if (region.key == key) {
      return std::string(region.code);
    }
  }
  return "";
}

std::optional<std::string> state_code(const TransformStep&, const std::string& value, const TransformContext&) {
  std::string code = region_code(value);
  if (!code.empty()) {
    return code;
  }
  throw TransformError(transform_error_text(
      "state_code", value,
      "is not a US state or Canadian province name or code; expected a two-letter code such as IL or QC, "
      "or a full name such as Illinois or Quebec"));
}

// ---------------------------------------------------------------------------------------------
// zip5

// With pad = "true", 3 or 4 digits are left-padded with zeros, because a ZIP code such as 02134
// stored in a numeric column arrives as 2134.
std::optional<std::string> zip5(const TransformStep& step, const std::string& value, const TransformContext&) {
  // Five digits, optionally followed by a hyphen, by four more digits, or by both.
  static const std::regex zip_pattern(R"(^(\d{5})(?:-?\d{4}|-)?$)");

  const std::string text(trim_view(value));
  std::smatch match;
  if (std::regex_match(text, match, zip_pattern)) {
    return match[1].str();
  }

  const std::string* pad = argument_value(step, "pad");
  const bool only_digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (pad != nullptr && *pad == "true" && only_digits && (text.size() == 3 || text.size() == 4)) {
    return std::string(5 - text.size(), '0') + text;
  }

  const std::string expected = "expected a US ZIP code of 5 digits or ZIP+4 such as 27513 or 27513-1234";
  const bool only_digits_and_hyphens =
      !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
  if (!only_digits_and_hyphens) {
    throw TransformError(transform_error_text("zip5", value, "is not a US ZIP code; " + expected));
  }

  const auto digit_count = std::count_if(text.begin(), text.end(), [](char c) { return c != '-'; });
  std::string problem = "has " + std::to_string(digit_count) + " digits";
  if (digit_count == 5 || digit_count == 9) {
    problem = "has its hyphen in the wrong place";
  }
  problem += "; " + expected;
  if (digit_count == 4 || digit_count == 8) {
    // A ZIP code such as 02134 stored in a numeric column loses its leading zero. Guessing the
    // padding could send the job to the wrong place, so the value is rejected with a hint.
    problem += " (a numeric column may have dropped a leading zero; add pad = \"true\" to restore it)";
  }
  throw TransformError(transform_error_text("zip5", value, problem));
}

// ---------------------------------------------------------------------------------------------
// phone

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr int north_american_country_code = 1;

// libphonenumber 8.12 reads "(773)343-3905 x" as a number without extension but rejects "ext."
// or "#" with no digits after them, so a bare trailing marker of any spelling is removed first.
std::string without_bare_extension_marker(const std::string& value) {
  static const std::regex bare_marker(R"(^(.*\d)[\s.,;:]*(?:x|ext|extn|extension|#)[\s.]*$)",
                                      std::regex::ECMAScript | std::regex::icase);
  std::smatch match;
  if (value.size() <= max_pattern_input_bytes && std::regex_match(value, match, bare_marker)) {
    return match[1].str();
  }
  return value;
}

std::string phone_parse_problem(PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return "it starts with an unknown country calling code";
    case PhoneNumberUtil::NOT_A_NUMBER:
      return "it does not look like a phone number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return "it has too few digits";
    case PhoneNumberUtil::TOO_LONG_NSN:
      return "it has too many digits";
    case PhoneNumberUtil::NO_PARSING_ERROR:
      break;
  }
  return "libphonenumber could not parse it";
}

std::string phone_validation_problem(const PhoneNumber& number) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const std::size_t digit_count = std::to_string(number.national_number()).size();
  if (number.country_code() == north_american_country_code && digit_count != 10) {
    return "it has " + std::to_string(digit_count) + " digits, but a North American number has 10";
  }
  switch (util.IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return "it has no area code";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return "it starts with an unknown country calling code";
    case PhoneNumberUtil::TOO_SHORT:
      return "it has too few digits";
    case PhoneNumberUtil::TOO_LONG:
      return "it has too many digits";
    case PhoneNumberUtil::INVALID_LENGTH:
      return "it has a digit count that no number in its country uses";
    case PhoneNumberUtil::IS_POSSIBLE:
      break;
  }
  return "its area code or exchange is not in use";
}

}  // namespace

// Parses with region US as the default, which also covers Canada because both share +1.
std::optional<std::string> phone(const TransformStep&, const std::string& value, const TransformContext&) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  const std::string expected =
      "; expected a 10-digit North American number such as (773) 343-3905, or + and the country code "
      "for other countries";

  PhoneNumber number;
  const PhoneNumberUtil::ErrorType error = util.Parse(without_bare_extension_marker(value), "US", &number);
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) {
    throw TransformError(
        transform_error_text("phone", value, "is not a valid phone number: " + phone_parse_problem(error) + expected));
  }
  if (!util.IsValidNumber(number)) {
    throw TransformError(transform_error_text(
        "phone", value, "is not a valid phone number: " + phone_validation_problem(number) + expected));
  }

  // Both formats append an extension as " ext. 225".
  const auto format = number.country_code() == north_american_country_code ? PhoneNumberUtil::NATIONAL
                                                                           : PhoneNumberUtil::INTERNATIONAL;
  std::string formatted;
  util.Format(number, format, &formatted);
  return formatted;
}

// ---------------------------------------------------------------------------------------------
// mysql_datetime

namespace {

constexpr std::string_view accepted_date_forms =
    "expected a date such as 2014-06-30, 06/24/2014 or 02/23/15, or a date and time such as "
    "2014-06-30 13:45:12 or 2014-06-30T13:45:12, optionally with a fraction and a UTC offset "
    "(Z, +00, +05:30 or -0500), or 2017/05/10 00:00:00+00";

// A date or date-time as written: either a wall-clock time or, when the text had a UTC offset,
// an instant. Fractions of a second are already dropped.
struct ParsedDateTime {
  bool year_first = false;   // 2014-06-30 or 2017/05/10 rather than 06/24/2014
  bool dash_separated = false;
  bool has_time = false;
  std::optional<date::sys_seconds> instant;  // set when the text had a UTC offset
  date::local_seconds wall_clock{};          // set when it did not
};

// Parses text of a known shape with date::parse. Returns nothing when date::parse rejects it,
// which happens for dates that do not exist, such as 2015-02-30, and times such as 24:00:00.
template <typename TimePoint>
std::optional<TimePoint> parse_with_format(const std::string& text, const std::string& format) {
  std::istringstream stream(text);
  TimePoint time_point{};
  stream >> date::parse(format, time_point);
  if (stream.fail()) {
    return std::nullopt;
  }
  return time_point;
}

// Matches the shape of a supported date or date-time and parses it. Returns nothing for an
// unsupported shape and throws TransformError for a supported shape with an impossible date.
std::optional<ParsedDateTime> parse_date_time(const std::string& value) {
  // Year-first dates with "-" or "/", optionally followed by a time with fraction and offset.
  static const std::regex year_first_pattern(
      R"(^\d{4}([-/])\d{1,2}\1\d{1,2}(?:([ T])\d{1,2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?)?$)");
  static const std::regex us_pattern(R"(^\d{1,2}/\d{1,2}/(\d{2}|\d{4})$)");

  const std::string text(trim_view(value));
  if (text.size() > max_pattern_input_bytes) {
    return std::nullopt;
  }
  const auto impossible = [&value]() {
    return TransformError(transform_error_text(
        "mysql_datetime", value, "is not a valid calendar date or time; " + std::string(accepted_date_forms)));
  };

  ParsedDateTime parsed;
  std::smatch match;
  if (std::regex_match(text, match, us_pattern)) {
    // %y reads 00-68 as 2000-2068 and 69-99 as 1969-1999, the rule of POSIX strptime.
    const std::string format = match[1].length() == 2 ? "%m/%d/%y" : "%m/%d/%Y";
    const auto day = parse_with_format<date::local_days>(text, format);
    if (!day) {
      throw impossible();
    }
    parsed.wall_clock = *day;
    return parsed;
  }

  if (!std::regex_match(text, match, year_first_pattern)) {
    return std::nullopt;
  }
  parsed.year_first = true;
  const std::string separator = match[1].str();
  parsed.dash_separated = separator == "-";
  parsed.has_time = match[2].matched;

  std::string format = "%Y" + separator + "%m" + separator + "%d";
  std::string without_fraction = text;
  if (parsed.has_time) {
    format += match[2].str() + "%H:%M:%S";
    // The output has whole seconds, and removing the fraction before parsing truncates it
    // rather than rounding it. Offsets are whole minutes, so this commutes with conversion.
    if (match[3].matched) {
      without_fraction.erase(static_cast<std::size_t>(match.position(3)), static_cast<std::size_t>(match.length(3)));
    }
  }

  if (!match[4].matched) {
    const auto wall_clock = parse_with_format<date::local_seconds>(without_fraction, format);
    if (!wall_clock) {
      throw impossible();
    }
    parsed.wall_clock = *wall_clock;
    return parsed;
  }

  // %Ez reads "+00" and "+05:30", %z reads "-0500".
  const std::string offset = match[4].str();
  const std::string minutes = match[5].str();
  if (offset == "Z") {
    format += "Z";
  } else if (!minutes.empty() && minutes.front() != ':') {
    format += "%z";
  } else {
    format += "%Ez";
  }
  const auto instant = parse_with_format<date::sys_seconds>(without_fraction, format);
  if (!instant) {
    throw impossible();
  }
  parsed.instant = *instant;
  return parsed;
}

// Checks that the value has the form PostgreSQL's ISO DateStyle gives a column of this type.
void check_column_form(const std::string& value, const ParsedDateTime& parsed, ColumnType column_type) {
  const bool iso = parsed.year_first && parsed.dash_separated;
  switch (column_type) {
    case ColumnType::timestamptz:
      if (!iso || !parsed.has_time || !parsed.instant) {
        throw TransformError(transform_error_text(
            "mysql_datetime", value,
            "is not a timestamp with time zone; expected the form 2024-03-10 08:30:00+00"));
      }
      return;
    case ColumnType::timestamp:
      if (!iso || !parsed.has_time || parsed.instant) {
        throw TransformError(transform_error_text(
            "mysql_datetime", value,
            "is not a timestamp without time zone; expected the form 2024-03-10 08:30:00"));
      }
      return;
    case ColumnType::date:
      if (!iso || parsed.has_time) {
        throw TransformError(
            transform_error_text("mysql_datetime", value, "is not a date; expected the form 2024-03-10"));
      }
      return;
    default:
      return;
  }
}

// Converts an instant to wall-clock time in the named zone, or in UTC when the name is empty.
// An unknown zone is a configuration error rather than a bad value, so it raises
// std::invalid_argument instead of TransformError.
date::local_seconds to_wall_clock(date::sys_seconds instant, std::string_view timezone) {
  if (timezone.empty()) {
    return date::local_seconds{instant.time_since_epoch()};
  }
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string(timezone));
  } catch (const std::runtime_error&) {
    throw std::invalid_argument("mysql_datetime: time zone " + quote_value(timezone) +
                                " is not in the IANA time zone database; use a name such as America/Chicago");
  }
  return zone->to_local(instant);
}

// True when a mysql_datetime format reads a UTC offset, so that the text is an instant.
bool format_has_offset(std::string_view format) {
  return format.find("%z") != std::string_view::npos || format.find("%Ez") != std::string_view::npos;
}

// Renders 2024-12-25 13:45:00 UTC in a mysql_datetime format, to show in error messages.
std::string date_format_example(const std::string& format) {
  const date::sys_seconds example = date::sys_days{date::year{2024} / 12 / 25} + std::chrono::hours{13} +
                                    std::chrono::minutes{45};
  if (format_has_offset(format)) {
    return date::format(format, example);
  }
  return date::format(format, date::local_seconds{example.time_since_epoch()});
}

// Parses text that must match `format` completely, as a wall-clock time or, when the format
// reads an offset, as an instant.
ParsedDateTime parse_with_user_format(const std::string& value, const std::string& format) {
  const std::string text(trim_view(value));
  ParsedDateTime parsed;
  std::istringstream stream(text);
  if (format_has_offset(format)) {
    date::sys_seconds instant{};
    stream >> date::parse(format, instant);
    parsed.instant = instant;
  } else {
    stream >> date::parse(format, parsed.wall_clock);
  }
  // Text left over after the format, such as a time after a date-only format, is a mismatch too.
  const bool consumed_all = !stream.fail() && stream.peek() == std::char_traits<char>::eof();
  if (!consumed_all) {
    throw TransformError(transform_error_text(
        "mysql_datetime", value,
        "does not match the format " + quote_value(format) + " or is not a valid calendar date; expected text such as " +
            date_format_example(format)));
  }
  return parsed;
}

}  // namespace

std::string date_format_problem(std::string_view format) {
  // Conversions that date::parse reads. %Ez is the only modified one accepted.
  constexpr std::string_view conversions = "YymdebBhHIMSpFDTRznt%";
  bool has_year = false;
  bool has_month = false;
  bool has_day = false;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      continue;
    }
    if (i + 1 == format.size()) {
      return "format " + quote_value(format) + " ends with a lone %; write %% for a percent sign";
    }
    char conversion = format[++i];
    if (conversion == 'E' && i + 1 < format.size() && format[i + 1] == 'z') {
      conversion = format[++i];
    } else if (conversions.find(conversion) == std::string_view::npos) {
      return "format " + quote_value(format) + " uses %" + std::string(1, conversion) +
             ", which is not supported; use %Y %y %m %d %e %b %B %H %I %M %S %p %F %D %T %R %z";
    }
    has_year = has_year || conversion == 'Y' || conversion == 'y' || conversion == 'F' || conversion == 'D';
    has_month = has_month || conversion == 'm' || conversion == 'b' || conversion == 'B' || conversion == 'h' ||
                conversion == 'F' || conversion == 'D';
    has_day = has_day || conversion == 'd' || conversion == 'e' || conversion == 'F' || conversion == 'D';
  }
  if (!has_year || !has_month || !has_day) {
    return "format " + quote_value(format) + " must read a year, a month and a day, such as %d/%m/%Y";
  }
  return "";
}

// A `format` argument replaces the built-in text forms for text values. Values of date and
// timestamp columns always arrive in PostgreSQL's ISO form, so the built-in forms read them.
std::optional<std::string> mysql_datetime(const TransformStep& step, const std::string& value,
                                          const TransformContext& context) {
  const std::string* format = argument_value(step, "format");
  std::optional<ParsedDateTime> parsed;
  if (format != nullptr && context.column_type == ColumnType::text) {
    parsed = parse_with_user_format(value, *format);
  } else {
    parsed = parse_date_time(value);
    if (!parsed) {
      throw TransformError(transform_error_text(
          "mysql_datetime", value, "is not a recognized date or time; " + std::string(accepted_date_forms)));
    }
    check_column_form(value, *parsed, context.column_type);
  }

  const date::local_seconds wall_clock =
      parsed->instant ? to_wall_clock(*parsed->instant, context.timezone) : parsed->wall_clock;

  // MySQL DATETIME stores years 1000 through 9999.
  const date::year year = date::year_month_day{date::floor<date::days>(wall_clock)}.year();
  if (year < date::year{1000} || year > date::year{9999}) {
    throw TransformError(transform_error_text(
        "mysql_datetime", value,
        "is outside the range of a MySQL DATETIME; expected a year from 1000 through 9999"));
  }
  return date::format("%F %T", wall_clock);
}

}  // namespace cc::mapping::detail

namespace cc::mapping {

using detail::byte_offset_after_characters;
using detail::is_continuation_byte;
using detail::quoted_value_max_characters;

ColumnType column_type_from_oid(unsigned int oid) {
  // OIDs of the built-in types, fixed in PostgreSQL's pg_type catalog.
  switch (oid) {
    case 16:
      return ColumnType::boolean;
    case 20:    // int8
    case 21:    // int2
    case 23:    // int4
    case 700:   // float4
    case 701:   // float8
    case 1700:  // numeric
      return ColumnType::number;
    case 1082:
      return ColumnType::date;
    case 1114:
      return ColumnType::timestamp;
    case 1184:
      return ColumnType::timestamptz;
    case 2950:
      return ColumnType::uuid;
    case 114:   // json
    case 3802:  // jsonb
      return ColumnType::json;
    default:  // text 25, bpchar 1042, varchar 1043 and every other type
      return ColumnType::text;
  }
}

bool is_known_timezone(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  try {
    date::locate_zone(std::string(name));
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

std::size_t count_characters(std::string_view utf8) {
  return static_cast<std::size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char byte) { return !is_continuation_byte(byte); }));
}

std::string quote_value(std::string_view value) {
  const std::size_t cut = byte_offset_after_characters(value, quoted_value_max_characters);
  std::string quoted = "'";
  for (const char c : value.substr(0, cut)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      quoted += "\\n";
    } else if (c == '\r') {
      quoted += "\\r";
    } else if (c == '\t') {
      quoted += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
      quoted += escaped;
    } else {
      quoted += c;
    }
  }
  if (cut < value.size()) {
    quoted += "...";
  }
  quoted += '\'';
  return quoted;
}

}  // namespace cc::mapping
