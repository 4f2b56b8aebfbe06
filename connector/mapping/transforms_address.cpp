// Transforms for addresses: address_part splits a one-line or multi-line address, and
// postal_code normalizes US ZIP and Canadian postal codes.
#include "mapping/transforms.h"

#include <algorithm>
#include <array>

namespace cc::mapping::detail {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_upper_ascii_letter(char c) {
  return c >= 'A' && c <= 'Z';
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

// ---------------------------------------------------------------------------------------------
// Postal codes

// Canada Post never uses D, F, I, O, Q or U, and never starts a postal code with W or Z.
bool is_canadian_postal_letter(char c, bool first) {
  constexpr std::string_view unused = "DFIOQU";
  return is_upper_ascii_letter(c) && unused.find(c) == std::string_view::npos && !(first && (c == 'W' || c == 'Z'));
}

// Returns the six characters of a Canadian postal code written as "V8B0A1", "V8B 0A1" or
// "V8B-0A1" in capitals, or an empty string for another shape.
std::string canadian_shape(std::string_view upper) {
  std::string compact(upper);
  if (compact.size() == 7 && (compact[3] == ' ' || compact[3] == '-')) {
    compact.erase(3, 1);
  }
  const bool shape = compact.size() == 6 && is_upper_ascii_letter(compact[0]) && is_digit(compact[1]) &&
                     is_upper_ascii_letter(compact[2]) && is_digit(compact[3]) &&
                     is_upper_ascii_letter(compact[4]) && is_digit(compact[5]);
  return shape ? compact : "";
}

// ---------------------------------------------------------------------------------------------
// address_part

struct AddressParts {
  std::optional<std::string> street;
  std::optional<std::string> unit;
  std::optional<std::string> city;
  std::optional<std::string> state;
  std::optional<std::string> zip;
};

using Segment = std::vector<std::string>;  // the words of one line or comma-separated part

// Province and territory codes, for telling a Canadian address from a US one.
constexpr std::array<std::string_view, 13> canadian_regions = {"AB", "BC", "MB", "NB", "NL", "NS", "NT",
                                                               "NU", "ON", "PE", "QC", "SK", "YT"};

// State codes that are also street words: CT for court, NE for northeast, MT for mount, WY for
// way, LA for lane, FL for floor, AL for alley. "123 OAK CT" is a street, not a street in
// Connecticut, so these codes end an address only after a ZIP code, alone on their line, or
// after words that do not start with a house number.
constexpr std::array<std::string_view, 7> street_word_codes = {"AL", "CT", "FL", "LA", "MT", "NE", "WY"};

// Unit designators, written before the unit number.
constexpr std::array<std::string_view, 8> unit_designators = {"UNIT", "APT",  "APARTMENT", "SUITE",
                                                              "STE",  "RM",   "ROOM",      "#"};

// Country names that may end an address. "CA" is not one, because it is also California.
constexpr std::array<std::string_view, 5> country_names = {"USA", "US", "UNITED STATES", "UNITED STATES OF AMERICA",
                                                           "CANADA"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// The word in capitals without periods and commas: "Ste." becomes "STE".
std::string word_key(std::string_view word) {
  std::string key;
  for (const char c : word) {
    if (c != '.' && c != ',') {
      key += to_ascii_upper(c);
    }
  }
  return key;
}

std::string join(const Segment& words, std::size_t begin, std::size_t end) {
  std::string text;
  for (std::size_t i = begin; i < end; ++i) {
    text += i > begin ? " " : "";
    text += words[i];
  }
  return text;
}

bool has_digit(const Segment& words) {
  return std::any_of(words.begin(), words.end(),
                     [](const std::string& word) { return std::any_of(word.begin(), word.end(), is_digit); });
}

bool has_content(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return is_digit(c) || is_upper_ascii_letter(to_ascii_upper(c)) || static_cast<unsigned char>(c) >= 0x80;
  });
}

// Splits an address into lines and comma-separated parts. An HTML no-break space (&nbsp;) or a
// U+00A0 separates parts too, because exports such as Chicago's put it between street, city,
// state and ZIP code.
std::vector<Segment> split_segments(const std::string& value) {
  std::string text = decode_html_entities(value, "\n");
  for (std::size_t at = text.find("\xC2\xA0"); at != std::string::npos; at = text.find("\xC2\xA0", at)) {
    text.replace(at, 2, "\n");
  }

  std::vector<Segment> segments;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of("\n\r,", start);
    if (end == std::string::npos) {
      end = text.size();
    }
    const std::string part = collapse_spaces(std::string_view(text).substr(start, end - start));
    if (has_content(part)) {
      Segment words;
      std::size_t word_start = 0;
      while (word_start < part.size()) {
        std::size_t word_end = part.find(' ', word_start);
        if (word_end == std::string::npos) {
          word_end = part.size();
        }
        words.push_back(part.substr(word_start, word_end - word_start));
        word_start = word_end + 1;
      }
      segments.push_back(std::move(words));
    }
    start = end + 1;
  }
  return segments;
}

void drop_empty_last(std::vector<Segment>& segments) {
  if (!segments.empty() && segments.back().empty()) {
    segments.pop_back();
  }
}

void drop_country(std::vector<Segment>& segments) {
  if (segments.empty()) {
    return;
  }
  if (segments.size() > 1 && contains(country_names, word_key(join(segments.back(), 0, segments.back().size())))) {
    segments.pop_back();
    return;
  }
  Segment& last = segments.back();
  if (last.size() > 1 && (word_key(last.back()) == "USA" || word_key(last.back()) == "CANADA")) {
    last.pop_back();
  }
}

// Takes a ZIP or postal code from the end of the last segment. A number after BOX or a unit
// designator is not a ZIP code.
std::optional<std::string> take_postal_code(std::vector<Segment>& segments) {
  if (segments.empty()) {
    return std::nullopt;
  }
  Segment& last = segments.back();
  std::optional<std::string> code;
  if (last.size() >= 2) {
    // "V8B 0A1" is two words.
    const std::string pair = last[last.size() - 2] + " " + last.back();
    code = canadian_shape(to_ascii_upper(pair)).empty() ? std::nullopt : normalize_postal_code(pair);
    if (code) {
      last.resize(last.size() - 2);
    }
  }
  if (!code) {
    const bool after_box_or_unit =
        last.size() >= 2 && (word_key(last[last.size() - 2]) == "BOX" || contains(unit_designators, word_key(last[last.size() - 2])));
    code = after_box_or_unit ? std::nullopt : normalize_postal_code(last.back());
    if (code) {
      last.pop_back();
    }
  }
  drop_empty_last(segments);
  return code;
}

// Takes a state or province from the end of the last segment: a two-letter code, or a full
// name that fills the segment ("Cary, North Carolina").
std::optional<std::string> take_state(std::vector<Segment>& segments, bool had_postal_code) {
  if (segments.empty()) {
    return std::nullopt;
  }
  Segment& last = segments.back();
  const std::string key = word_key(last.back());
  if (key.size() == 2 && region_code(key) == key) {
    const bool alone = last.size() == 1;
    const bool after_house_number = !alone && !last.front().empty() && is_digit(last.front().front());
    if (had_postal_code || alone || !contains(street_word_codes, key) || !after_house_number) {
      last.pop_back();
      drop_empty_last(segments);
      return key;
    }
    return std::nullopt;
  }

  if (had_postal_code || segments.size() > 1) {
    const std::string code = region_code(join(last, 0, last.size()));
    if (!code.empty()) {
      segments.pop_back();
      return code;
    }
  }
  return std::nullopt;
}

bool is_unit_identifier(std::string_view word) {
  return !word.empty() && word.size() <= 8 && !contains(unit_designators, word_key(word)) &&
         std::all_of(word.begin(), word.end(), [](char c) {
           return is_digit(c) || is_upper_ascii_letter(to_ascii_upper(c)) || c == '-';
         });
}

// Returns the unit of words that are only a unit, such as "UNIT 5", "#5" or "# 5".
std::optional<std::string> whole_unit(const Segment& words) {
  if (words.size() == 1 && words[0].size() > 1 && words[0].front() == '#' && is_unit_identifier(words[0].substr(1))) {
    return words[0].substr(1);
  }
  if (words.size() == 2 && contains(unit_designators, word_key(words[0])) && is_unit_identifier(words[1])) {
    return words[1];
  }
  return std::nullopt;
}

// Takes the unit from the street: a line of its own ("UNIT 5"), a designator and number at the
// end ("118 MAPLE AVE STE 200", "... #5") or at the start ("APT 5 118 MAPLE AVE"), or, outside
// the US, a unit number joined to the house number by a hyphen ("22-40022 GOVERNMENT RD").
// A bare trailing number ("2100 GATEWAY CENTRE BLVD 109") is left in the street, because it
// cannot be distinguished from a house or highway number.
std::optional<std::string> take_unit(std::vector<Segment>& street_segments, const std::optional<std::string>& state) {
  std::optional<std::string> unit;
  for (auto segment = street_segments.begin(); segment != street_segments.end() && street_segments.size() > 1; ++segment) {
    if ((unit = whole_unit(*segment))) {
      street_segments.erase(segment);
      return unit;
    }
  }

  Segment words;
  for (std::size_t i = 0; i < street_segments.size(); ++i) {
    for (const std::string& word : street_segments[i]) {
      words.push_back(word);
    }
    if (i + 1 < street_segments.size() && !words.empty()) {
      words.back() += ",";
    }
  }
  if (words.size() < 2) {
    return std::nullopt;
  }

  const auto replace_words = [&street_segments](Segment remaining) {
    if (!remaining.empty() && remaining.back().ends_with(',')) {
      remaining.back().pop_back();
    }
    street_segments = {std::move(remaining)};
  };

  // "... #5" or "... # 5", "... UNIT 5".
  if (words.size() >= 3) {
    const Segment tail(words.end() - 2, words.end());
    if ((unit = whole_unit(tail))) {
      replace_words(Segment(words.begin(), words.end() - 2));
      return unit;
    }
  }
  if ((unit = whole_unit(Segment{words.back()}))) {
    replace_words(Segment(words.begin(), words.end() - 1));
    return unit;
  }

  // "APT 5 118 MAPLE AVE": the designator, the unit, then a house number.
  if (words.size() >= 4 && contains(unit_designators, word_key(words[0])) && is_unit_identifier(words[1]) &&
      is_digit(words[2].front())) {
    std::string identifier = words[1];
    if (identifier.ends_with(',')) {
      identifier.pop_back();
    }
    replace_words(Segment(words.begin() + 2, words.end()));
    return identifier;
  }

  // "22-40022 GOVERNMENT RD" is unit 22 at 40022 Government Road in Canadian notation. In New
  // York City "37-14 81ST ST" is a single house number, so US addresses keep the hyphen.
  const bool us_address = state && !contains(canadian_regions, *state);
  const std::string& first = words.front();
  const std::size_t hyphen = first.find('-');
  if (!us_address && hyphen != std::string::npos && hyphen > 0 && hyphen + 1 < first.size() &&
      is_unit_identifier(first.substr(0, hyphen)) && all_digits(first.substr(hyphen + 1))) {
    unit = first.substr(0, hyphen);
    Segment remaining(words.begin(), words.end());
    remaining.front() = first.substr(hyphen + 1);
    replace_words(std::move(remaining));
    return unit;
  }
  return std::nullopt;
}

AddressParts parse_address(const std::string& value) {
  std::vector<Segment> segments = split_segments(value);
  AddressParts parts;
  drop_country(segments);
  parts.zip = take_postal_code(segments);
  parts.state = take_state(segments, parts.zip.has_value());

  // What is left is street lines followed by the city. With a separator before the city, the
  // last segment is the city. Without one ("3966 WEST GRAND AVENUE CHICAGO IL") the city cannot
  // be distinguished from the street, so the words stay in the street. Words without digits are
  // no street, so they are the city ("CHICAGO IL 60651").
  std::vector<Segment> street_segments = segments;
  if (segments.size() >= 2) {
    const bool found_tail = parts.zip || parts.state;
    if (found_tail || !has_digit(segments.back())) {
      parts.city = join(segments.back(), 0, segments.back().size());
      street_segments.pop_back();
    }
  } else if (segments.size() == 1 && (parts.zip || parts.state) && !has_digit(segments.front())) {
    parts.city = join(segments.front(), 0, segments.front().size());
    street_segments.clear();
  }

  parts.unit = take_unit(street_segments, parts.state);
  std::string street;
  for (const Segment& segment : street_segments) {
    if (segment.empty()) {
      continue;
    }
    street += street.empty() ? "" : ", ";
    street += join(segment, 0, segment.size());
  }
  if (!street.empty()) {
    parts.street = street;
  }
  return parts;
}

}  // namespace

std::optional<std::string> normalize_postal_code(std::string_view text) {
  const std::string upper = to_ascii_upper(trim_view(text));

  // US: 5 digits, optionally followed by 4 more after a hyphen, a space or nothing, or by a
  // lone trailing hyphen.
  std::string digits_only;
  for (const char c : upper) {
    if (is_digit(c)) {
      digits_only += c;
    }
  }
  const bool us_shape =
      all_digits(upper) ||
      (upper.size() == 10 && (upper[5] == '-' || upper[5] == ' ') && all_digits(upper.substr(0, 5)) &&
       all_digits(upper.substr(6))) ||
      (upper.size() == 6 && upper[5] == '-' && all_digits(upper.substr(0, 5)));
  if (us_shape && digits_only.size() == 5) {
    return digits_only;
  }
  if (us_shape && digits_only.size() == 9) {
    return digits_only.substr(0, 5) + "-" + digits_only.substr(5);
  }

  const std::string compact = canadian_shape(upper);
  if (compact.empty()) {
    return std::nullopt;
  }
  for (std::size_t i : {0, 2, 4}) {
    if (!is_canadian_postal_letter(compact[i], i == 0)) {
      return std::nullopt;
    }
  }
  return compact.substr(0, 3) + " " + compact.substr(3);
}

std::optional<std::string> postal_code(const TransformStep&, const std::string& value, const TransformContext&) {
  if (std::optional<std::string> code = normalize_postal_code(value)) {
    return code;
  }

  const std::string expected = "expected a US ZIP code such as 27513 or 27513-1234, or a Canadian postal code "
                               "such as V8B 0A1";
  const std::string upper = to_ascii_upper(trim_view(value));
  if (!canadian_shape(upper).empty()) {
    throw TransformError(transform_error_text(
        "postal_code", value,
        "is not a valid Canadian postal code: Canada Post never uses the letters D, F, I, O, Q or U, and "
        "never starts a code with W or Z; " + expected));
  }

  const bool digits_and_hyphens =
      !upper.empty() && std::all_of(upper.begin(), upper.end(), [](char c) { return is_digit(c) || c == '-'; });
  if (!digits_and_hyphens) {
    throw TransformError(
        transform_error_text("postal_code", value, "is not a US ZIP code or Canadian postal code; " + expected));
  }
  const auto digit_count = std::count_if(upper.begin(), upper.end(), is_digit);
  std::string problem = "has " + std::to_string(digit_count) + " digits";
  if (digit_count == 5 || digit_count == 9) {
    problem = "has its hyphen in the wrong place";
  }
  problem += "; " + expected;
  if (digit_count == 3 || digit_count == 4) {
    problem += " (a numeric column may have dropped leading zeros; use zip5 with pad = \"true\" to restore them)";
  }
  throw TransformError(transform_error_text("postal_code", value, problem));
}

std::optional<std::string> address_part(const TransformStep& step, const std::string& value, const TransformContext&) {
  const AddressParts parts = parse_address(value);
  const std::string& part = *argument_value(step, "part");
  if (part == "street") {
    return parts.street;
  }
  if (part == "unit") {
    return parts.unit;
  }
  if (part == "city") {
    return parts.city;
  }
  if (part == "state") {
    return parts.state;
  }
  return parts.zip;
}

}  // namespace cc::mapping::detail
