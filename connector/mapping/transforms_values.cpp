// Transforms for typed values: money, number, boolean and lookup.
#include "mapping/transforms.h"

#include <algorithm>
#include <array>

namespace cc::mapping::detail {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A decimal number as its digits, so that amounts are never rounded through binary floating point.
struct Decimal {
  bool negative = false;
  std::string integer;   // digits before the point, possibly empty for ".5"
  std::string fraction;  // digits after the point
};

// Reads digits with an optional point, and thousands commas in the whole part ("1,234.50").
// Commas must separate groups of three digits. Returns nothing for any other text.
std::optional<Decimal> parse_unsigned_decimal(std::string_view text) {
  Decimal decimal;
  const std::size_t point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction = point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() && fraction.empty()) {
    return std::nullopt;
  }
  if (!std::all_of(fraction.begin(), fraction.end(), is_digit)) {
    return std::nullopt;
  }

  std::size_t group_length = 0;
  bool grouped = false;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    const char c = whole[i];
    if (c == ',') {
      // A comma needs 1 to 3 digits before it (or exactly 3 after an earlier comma) and digits after it.
      const bool valid_group = grouped ? group_length == 3 : group_length >= 1 && group_length <= 3;
      if (!valid_group || i + 1 == whole.size()) {
        return std::nullopt;
      }
      grouped = true;
      group_length = 0;
      continue;
    }
    if (!is_digit(c)) {
      return std::nullopt;
    }
    decimal.integer += c;
    ++group_length;
  }
  if (grouped && group_length != 3) {
    return std::nullopt;
  }
  decimal.fraction = std::string(fraction);
  return decimal;
}

// Adds one unit in the last place to a string of digits, carrying to the left: "0999" becomes "1000".
void increment_digits(std::string& digits) {
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it != '9') {
      ++*it;
      return;
    }
    *it = '0';
  }
  digits.insert(digits.begin(), '1');
}

// Writes a decimal as plain text. With `places`, the fraction is rounded half away from zero or
// padded with zeros to that many digits. Leading zeros are removed and "-0" is written as "0".
std::string format_decimal(Decimal decimal, std::optional<std::size_t> places) {
  if (places && decimal.fraction.size() > *places) {
    const bool round_up = decimal.fraction[*places] >= '5';
    decimal.fraction.resize(*places);
    if (round_up) {
      std::string digits = decimal.integer + decimal.fraction;
      const std::size_t length = digits.size();
      increment_digits(digits);
      const std::size_t integer_length = decimal.integer.size() + (digits.size() - length);
      decimal.integer = digits.substr(0, integer_length);
      decimal.fraction = digits.substr(integer_length);
    }
  }
  if (places && decimal.fraction.size() < *places) {
    decimal.fraction.append(*places - decimal.fraction.size(), '0');
  }

  const std::size_t first_significant = decimal.integer.find_first_not_of('0');
  decimal.integer = first_significant == std::string::npos ? "0" : decimal.integer.substr(first_significant);
  const bool zero = decimal.integer == "0" && decimal.fraction.find_first_not_of('0') == std::string::npos;

  std::string text = decimal.negative && !zero ? "-" : "";
  text += decimal.integer;
  if (!decimal.fraction.empty()) {
    text += "." + decimal.fraction;
  }
  return text;
}

std::string_view strip_prefix_sign(std::string_view& text, bool& negative) {
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    const std::string_view sign = text.substr(0, 1);
    text.remove_prefix(1);
    return sign;
  }
  return {};
}

}  // namespace

// Accepts "$11,500.00", "2500", "-$5", "$-5" and accounting negatives "(1,200.50)", and writes
// the amount with two decimals, rounding half away from zero.
std::optional<std::string> money(const TransformStep&, const std::string& value, const TransformContext&) {
  std::string_view text = trim_view(value);
  if (text.empty()) {
    return std::nullopt;
  }
  const auto invalid = [&value]() {
    return TransformError(transform_error_text(
        "money", value,
        "is not an amount of money; expected digits with an optional $, thousands commas, cents, and a minus "
        "sign or parentheses for a negative amount, such as $11,500.00, -$5 or (1,200.50)"));
  };

  bool negative = false;
  const bool parenthesized = text.size() >= 2 && text.front() == '(' && text.back() == ')';
  if (parenthesized) {
    text = trim_view(text.substr(1, text.size() - 2));
    negative = true;
  }
  bool signed_value = false;
  const bool has_sign = !strip_prefix_sign(text, signed_value).empty();
  if (!text.empty() && text.front() == '$') {
    text = trim_view(text.substr(1));
  }
  const bool has_second_sign = !strip_prefix_sign(text, signed_value).empty();
  if ((parenthesized && (has_sign || has_second_sign)) || (has_sign && has_second_sign)) {
    throw invalid();
  }

  std::optional<Decimal> decimal = parse_unsigned_decimal(text);
  if (!decimal) {
    throw invalid();
  }
  decimal->negative = negative || signed_value;
  return format_decimal(*decimal, 2);
}

// Accepts "1,234.50", " 42 ", "-7" and writes a plain decimal. The argument `decimals` rounds
// half away from zero to that many places.
std::optional<std::string> number(const TransformStep& step, const std::string& value, const TransformContext&) {
  std::string_view text = trim_view(value);
  if (text.empty()) {
    return std::nullopt;
  }
  bool negative = false;
  strip_prefix_sign(text, negative);

  std::optional<Decimal> decimal = parse_unsigned_decimal(text);
  if (!decimal) {
    const bool exponent = text.find_first_of("eE") != std::string_view::npos &&
                          std::any_of(text.begin(), text.end(), is_digit) &&
                          text.find_first_not_of("0123456789.,eE+-") == std::string_view::npos;
    if (exponent) {
      throw TransformError(transform_error_text(
          "number", value,
          "has an exponent, which is not supported; expected a plain decimal such as 1234.50 (cast a float "
          "column to numeric in the source query to avoid exponents)"));
    }
    throw TransformError(transform_error_text(
        "number", value,
        "is not a number; expected digits with an optional sign, thousands commas and decimal point, such as "
        "1,234.50 or -42"));
  }
  decimal->negative = negative;

  std::optional<std::size_t> places;
  if (const std::string* decimals = argument_value(step, "decimals")) {
    places = parse_count(*decimals);
  }
  return format_decimal(*decimal, places);
}

std::optional<std::string> boolean(const TransformStep& step, const std::string& value, const TransformContext&) {
  static constexpr std::array<std::string_view, 6> true_words = {"t", "true", "yes", "y", "1", "on"};
  static constexpr std::array<std::string_view, 6> false_words = {"f", "false", "no", "n", "0", "off"};

  const std::string_view text = trim_view(value);
  if (text.empty()) {
    return std::nullopt;
  }
  const auto matches = [text](std::string_view word) { return equals_ignoring_case(text, word); };
  if (std::any_of(true_words.begin(), true_words.end(), matches)) {
    const std::string* true_text = argument_value(step, "true_text");
    return true_text != nullptr ? *true_text : "Yes";
  }
  if (std::any_of(false_words.begin(), false_words.end(), matches)) {
    const std::string* false_text = argument_value(step, "false_text");
    return false_text != nullptr ? *false_text : "No";
  }
  throw TransformError(transform_error_text(
      "boolean", value, "is not a yes/no value; expected t, true, yes, y, 1, on, f, false, no, n, 0 or off"));
}

// Keys match after trimming, ignoring ASCII case. Without a `default`, an unknown key is an error
// that lists some known keys, so that a new status code in the source is noticed.
std::optional<std::string> lookup(const TransformStep& step, const std::string& value, const TransformContext& context) {
  constexpr std::size_t listed_keys = 5;

  const std::string& table_name = *argument_value(step, "table");
  const auto& table = context.lookups->at(table_name);
  const std::string_view key = trim_view(value);
  for (const auto& [entry_key, replacement] : table) {
    if (equals_ignoring_case(trim_view(entry_key), key)) {
      return replacement;
    }
  }
  if (const std::string* fallback = argument_value(step, "default")) {
    return *fallback;
  }

  std::string known;
  std::size_t count = 0;
  for (const auto& entry : table) {
    if (count == listed_keys) {
      known += " and " + std::to_string(table.size() - listed_keys) + " more";
      break;
    }
    known += count == 0 ? "" : ", ";
    known += quote_value(entry.first);
    ++count;
  }
  std::string problem = "is not a key of the lookup table " + table_name + "; ";
  problem += table.empty() ? std::string("the table is empty") : "known keys are " + known;
  problem += "; add the key to [lookups." + table_name + "] or give the step a default";
  throw TransformError(transform_error_text("lookup", value, problem));
}

}  // namespace cc::mapping::detail
