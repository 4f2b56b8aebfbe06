// Text clean-up transforms: html_unescape, collapse_whitespace, title_case and missing_if.
#include "mapping/transforms.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace cc::mapping::detail {

namespace {

// ---------------------------------------------------------------------------------------------
// UTF-8

bool is_continuation(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

// Byte length of the UTF-8 sequence that starts with `lead`; 1 for a stray byte.
std::size_t sequence_length(char lead) {
  const auto byte = static_cast<unsigned char>(lead);
  if (byte >= 0xF0 && byte < 0xF8) {
    return 4;
  }
  if (byte >= 0xE0) {
    return byte < 0xF0 ? 3 : 1;
  }
  return byte >= 0xC0 ? 2 : 1;
}

// Length in bytes of the code point at text[offset], cut short at the end of text or at a byte
// that does not continue it.
std::size_t code_point_length(std::string_view text, std::size_t offset) {
  const std::size_t length = sequence_length(text[offset]);
  std::size_t valid = 1;
  while (valid < length && offset + valid < text.size() && is_continuation(text[offset + valid])) {
    ++valid;
  }
  return valid;
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Unicode White_Space characters outside ASCII, in UTF-8: U+00A0, U+1680, U+2000..U+200A,
// U+2028, U+2029, U+202F, U+205F and U+3000.
bool is_unicode_space(std::string_view character) {
  static constexpr std::array<std::string_view, 17> spaces = {
      "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83",
      "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89",
      "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F",
  };
  return character == "\xE3\x80\x80" ||
         std::find(spaces.begin(), spaces.end(), character) != spaces.end();
}

// ---------------------------------------------------------------------------------------------
// HTML character references

// Returns the code point of a numeric reference body such as "#039" or "#x27", or nothing when it
// is malformed, zero, a surrogate or above U+10FFFF.
std::optional<std::uint32_t> numeric_reference(std::string_view body) {
  body.remove_prefix(1);  // '#'
  int base = 10;
  if (!body.empty() && (body.front() == 'x' || body.front() == 'X')) {
    base = 16;
    body.remove_prefix(1);
  }
  // Seven decimal or six hex digits cover U+10FFFF; more would only be leading zeros or overflow.
  if (body.empty() || body.size() > (base == 16 ? 6u : 7u)) {
    return std::nullopt;
  }
  std::uint32_t code_point = 0;
  for (const char c : body) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<std::uint32_t>(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    code_point = code_point * static_cast<std::uint32_t>(base) + digit;
  }
  if (code_point == 0 || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return std::nullopt;
  }
  return code_point;
}

// Returns the text of a named reference body such as "amp", or nothing for other names.
// Names match case-insensitively because exports that uppercase a whole field turn "&amp;" into
// "&AMP;".
std::optional<std::string_view> named_reference(std::string_view body, std::string_view no_break_space) {
  struct NamedReference {
    std::string_view name;
    std::string_view text;
  };
  static constexpr std::array<NamedReference, 5> references = {
      NamedReference{"amp", "&"}, NamedReference{"lt", "<"},   NamedReference{"gt", ">"},
      NamedReference{"quot", "\""}, NamedReference{"apos", "'"},
  };
  if (equals_ignoring_case(body, "nbsp")) {
    return no_break_space;
  }
  for (const NamedReference& reference : references) {
    if (equals_ignoring_case(body, reference.name)) {
      return reference.text;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// title_case

// Words kept in capitals: company forms, generational numbers, and abbreviations that are
// never written as words.
constexpr std::array<std::string_view, 18> upper_case_words = {
    "LLC", "INC", "LTD", "LP", "LLP", "LLLP", "PLLC", "PC", "II", "III",
    "IV",  "USA", "HVAC", "DBA", "NE", "NW", "SE", "SW",
};

// Words written in lower case unless they start the value.
constexpr std::array<std::string_view, 2> lower_case_words = {"OF", "AND"};

bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

// Letters of U+00C0..U+00FE are C3 80..C3 BE in UTF-8. Capitals are 80..9E and small letters
// A0..BE, 0x20 apart, except for × (97) and ÷ (B7), which are not letters.
bool is_latin1_letter(std::string_view character) {
  if (character.size() != 2 || character[0] != '\xC3') {
    return false;
  }
  const auto second = static_cast<unsigned char>(character[1]);
  return second >= 0x80 && second <= 0xBF && second != 0x97 && second != 0xB7;
}

bool is_letter(std::string_view character) {
  return (character.size() == 1 && is_ascii_letter(character[0])) || is_latin1_letter(character);
}

bool is_upper_letter(std::string_view character) {
  if (character.size() == 1) {
    return character[0] >= 'A' && character[0] <= 'Z';
  }
  const auto second = static_cast<unsigned char>(character.size() == 2 ? character[1] : 0);
  return character.size() == 2 && character[0] == '\xC3' && second >= 0x80 && second <= 0x9E && second != 0x97;
}

bool is_lower_letter(std::string_view character) {
  if (character.size() == 1) {
    return character[0] >= 'a' && character[0] <= 'z';
  }
  const auto second = static_cast<unsigned char>(character.size() == 2 ? character[1] : 0);
  return character.size() == 2 && character[0] == '\xC3' && second >= 0xA0 && second <= 0xBE && second != 0xB7;
}

void set_case(std::string& character, bool upper) {
  if (character.size() == 1) {
    character[0] = upper ? to_ascii_upper(character[0]) : to_ascii_lower(character[0]);
  } else if (upper && is_lower_letter(character)) {
    character[1] = static_cast<char>(character[1] - 0x20);
  } else if (!upper && is_upper_letter(character)) {
    character[1] = static_cast<char>(character[1] + 0x20);
  }
}

bool is_apostrophe(std::string_view character) {
  return character == "'" || character == "\xE2\x80\x99";  // U+2019 right single quotation mark
}

// Splits a word into its code points.
std::vector<std::string> characters_of(std::string_view word) {
  std::vector<std::string> characters;
  for (std::size_t i = 0; i < word.size();) {
    const std::size_t length = code_point_length(word, i);
    characters.emplace_back(word.substr(i, length));
    i += length;
  }
  return characters;
}

// The word in capitals without surrounding punctuation, for comparing with the word lists:
// "Inc.," becomes "INC".
std::string comparison_key(std::string_view word) {
  const auto is_punctuation = [](char c) { return c == '.' || c == ',' || c == ';' || c == ':' || c == '(' || c == ')'; };
  while (!word.empty() && is_punctuation(word.front())) {
    word.remove_prefix(1);
  }
  while (!word.empty() && is_punctuation(word.back())) {
    word.remove_suffix(1);
  }
  return to_ascii_upper(word);
}

// True for "3RD", "21ST", "2nd": digits followed by an English ordinal suffix.
bool is_ordinal(std::string_view key) {
  const std::size_t digit_count =
      static_cast<std::size_t>(std::find_if(key.begin(), key.end(), [](char c) { return !is_ascii_digit(c); }) - key.begin());
  if (digit_count == 0 || key.size() != digit_count + 2) {
    return false;
  }
  const std::string_view suffix = key.substr(digit_count);
  return suffix == "ST" || suffix == "ND" || suffix == "RD" || suffix == "TH";
}

// Capitalizes each run of letters in a word that is all capitals or all small letters. A run
// after an apostrophe is capitalized only when the run before it is one letter, so that O'HARA
// becomes O'Hara but DON'T becomes Don't. A run that starts with MC and has at least two more
// letters gets a capital third letter (McAllister). Names that start with MAC are left as
// Macdonald, because many ordinary names and words start with Mac too (Machado, Mack, Macey,
// machine), and no rule can distinguish them from the prefix.
std::string capitalize_word(std::string_view word) {
  std::vector<std::string> characters = characters_of(word);
  for (std::string& character : characters) {
    set_case(character, false);
  }

  std::size_t index = 0;
  std::size_t previous_run_length = 0;
  bool after_apostrophe = false;
  while (index < characters.size()) {
    if (!is_letter(characters[index])) {
      after_apostrophe = is_apostrophe(characters[index]);
      ++index;
      continue;
    }
    const std::size_t start = index;
    while (index < characters.size() && is_letter(characters[index])) {
      ++index;
    }
    const std::size_t run_length = index - start;
    if (!after_apostrophe || previous_run_length == 1) {
      set_case(characters[start], true);
    }
    const bool mc_prefix = run_length >= 4 && characters[start] == "M" && characters[start + 1] == "c";
    if (mc_prefix) {
      set_case(characters[start + 2], true);
    }
    previous_run_length = run_length;
    after_apostrophe = false;
  }

  std::string result;
  for (const std::string& character : characters) {
    result += character;
  }
  return result;
}

std::string title_case_word(std::string_view word, bool first_word) {
  const std::vector<std::string> characters = characters_of(word);
  const bool has_upper = std::any_of(characters.begin(), characters.end(), [](const std::string& c) { return is_upper_letter(c); });
  const bool has_lower = std::any_of(characters.begin(), characters.end(), [](const std::string& c) { return is_lower_letter(c); });
  if (has_upper && has_lower) {
    // Mixed case such as "MacDonald" or "DeVries" was written on purpose and is kept.
    return std::string(word);
  }

  const std::string key = comparison_key(word);
  if (std::find(upper_case_words.begin(), upper_case_words.end(), key) != upper_case_words.end()) {
    std::string result;
    for (std::string character : characters) {
      set_case(character, true);
      result += character;
    }
    return result;
  }
  if (std::any_of(key.begin(), key.end(), is_ascii_digit)) {
    // "3RD" becomes "3rd", but "4B" or "B2" is an identifier and stays as written.
    if (is_ordinal(key)) {
      std::string result(word);
      std::transform(result.begin(), result.end(), result.begin(), [](char c) { return to_ascii_lower(c); });
      return result;
    }
    return std::string(word);
  }
  if (!first_word && std::find(lower_case_words.begin(), lower_case_words.end(), key) != lower_case_words.end()) {
    std::string result(word);
    std::transform(result.begin(), result.end(), result.begin(), [](char c) { return to_ascii_lower(c); });
    return result;
  }
  return capitalize_word(word);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Shared helpers

std::string decode_html_entities(std::string_view text, std::string_view no_break_space) {
  // The maximum length of a decoded reference is 10 characters, as in "&#1114111;".
  constexpr std::size_t max_reference_length = 10;

  std::string result;
  result.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      result += text[i++];
      continue;
    }
    const std::size_t semicolon = text.find(';', i + 1);
    if (semicolon == std::string_view::npos || semicolon - i > max_reference_length) {
      result += text[i++];
      continue;
    }
    const std::string_view body = text.substr(i + 1, semicolon - i - 1);
    if (!body.empty() && body.front() == '#') {
      if (const std::optional<std::uint32_t> code_point = numeric_reference(body)) {
        if (*code_point == 0xA0) {
          result += no_break_space;
        } else {
          append_utf8(result, *code_point);
        }
        i = semicolon + 1;
        continue;
      }
    } else if (const std::optional<std::string_view> decoded = named_reference(body, no_break_space)) {
      result += *decoded;
      i = semicolon + 1;
      continue;
    }
    result += text[i++];  // unknown or malformed: kept as written
  }
  return result;
}

std::string collapse_spaces(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  bool space_pending = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t length = code_point_length(text, i);
    const std::string_view character = text.substr(i, length);
    i += length;
    if ((length == 1 && is_ascii_space(character[0])) || is_unicode_space(character)) {
      space_pending = true;
      continue;
    }
    if (space_pending && !result.empty()) {
      result += ' ';
    }
    space_pending = false;
    result += character;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Transforms

// Decodes one level only, so "&amp;amp;" becomes "&amp;". A no-break space becomes a plain space
// because import fields are plain text.
std::optional<std::string> html_unescape(const TransformStep&, const std::string& value, const TransformContext&) {
  return decode_html_entities(value, " ");
}

std::optional<std::string> collapse_whitespace(const TransformStep&, const std::string& value, const TransformContext&) {
  return collapse_spaces(value);
}

// Changes case word by word and keeps the whitespace between words as written.
std::optional<std::string> title_case(const TransformStep&, const std::string& value, const TransformContext&) {
  std::string result;
  result.reserve(value.size());
  bool first_word = true;
  std::size_t i = 0;
  while (i < value.size()) {
    if (is_ascii_space(value[i])) {
      result += value[i++];
      continue;
    }
    std::size_t end = i;
    while (end < value.size() && !is_ascii_space(value[end])) {
      ++end;
    }
    result += title_case_word(std::string_view(value).substr(i, end - i), first_word);
    first_word = false;
    i = end;
  }
  return result;
}

std::optional<std::string> missing_if(const TransformStep& step, const std::string& value, const TransformContext&) {
  const std::string_view trimmed = trim_view(value);
  const std::vector<std::string>& placeholders = step.arguments.at("values");
  for (const std::string& placeholder : placeholders) {
    if (equals_ignoring_case(trimmed, trim_view(placeholder))) {
      return std::nullopt;
    }
  }
  return value;
}

}  // namespace cc::mapping::detail
