// Transforms for people's names: owner picks one owner out of a field that lists several, and
// name_part splits one name into first and last name.
#include "mapping/transforms.h"

#include <algorithm>
#include <array>

namespace cc::mapping::detail {

namespace {

// Words that mark a company or an institution. They are compared after removing periods, so
// "L.L.C." matches LLC. "CO." is checked separately because "CO" without a period is also a
// surname.
constexpr std::array<std::string_view, 24> company_words = {
    "LLC",      "INC",      "INCORPORATED", "CORP",     "CORPORATION", "COMPANY",      "LTD",
    "LIMITED",  "TRUST",    "CHURCH",       "ASSOCIATION", "BANK",     "HOMES",        "BUILDERS",
    "CONSTRUCTION", "PROPERTIES", "PARTNERS", "LP",     "LLP",         "LLLP",         "PLLC",
    "HOA",      "ULC",      "CONDOMINIUM",
};

// Two-word phrases that mark a government owner, such as "TOWN OF CARY".
constexpr std::array<std::string_view, 4> government_first_words = {"CITY", "TOWN", "COUNTY", "STATE"};

// Generational suffixes, which belong to the last name.
constexpr std::array<std::string_view, 5> name_suffixes = {"JR", "SR", "II", "III", "IV"};

// Courtesy titles, which are dropped.
constexpr std::array<std::string_view, 5> name_titles = {"MR", "MRS", "MS", "MISS", "DR"};

// Words that start a multi-word last name, such as "DE LA CRUZ" or "VAN DYKE".
constexpr std::array<std::string_view, 14> surname_particles = {
    "DE", "DA", "DEL", "DELLA", "DER", "DI", "DOS", "DU", "LA", "LE", "VAN", "VON", "ST", "ST.",
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  const std::string collapsed = collapse_spaces(text);
  std::size_t start = 0;
  while (start < collapsed.size()) {
    std::size_t end = collapsed.find(' ', start);
    if (end == std::string::npos) {
      end = collapsed.size();
    }
    words.push_back(collapsed.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

std::string join_words(const std::vector<std::string>& words, std::size_t begin, std::size_t end) {
  std::string text;
  for (std::size_t i = begin; i < end; ++i) {
    text += i > begin ? " " : "";
    text += words[i];
  }
  return text;
}

// The word in capitals without periods or commas: "Jr." becomes "JR".
std::string word_key(std::string_view word) {
  std::string key;
  for (const char c : word) {
    if (c != '.' && c != ',') {
      key += to_ascii_upper(c);
    }
  }
  return key;
}

bool is_suffix(std::string_view word) {
  return contains(name_suffixes, word_key(word));
}

// ---------------------------------------------------------------------------------------------
// owner

// Drops what follows "C/O" (care of: the recipient of the mail, not an owner) and trailing
// "ET AL", "ET UX" or "ET VIR" (and others, and spouse).
std::string without_care_of_and_et_al(const std::string& text) {
  std::string upper = to_ascii_upper(text);
  std::string result = text;
  const std::size_t care_of = upper.find("C/O");
  const bool care_of_is_word =
      care_of != std::string::npos && (care_of == 0 || upper[care_of - 1] == ' ') &&
      (care_of + 3 == upper.size() || upper[care_of + 3] == ' ');
  if (care_of_is_word) {
    result = collapse_spaces(result.substr(0, care_of));
  }

  std::vector<std::string> words = split_words(result);
  for (bool removed = true; removed && words.size() >= 2;) {
    removed = false;
    const std::string last = word_key(words.back());
    const std::string before = word_key(words[words.size() - 2]);
    if (last == "ETAL" || last == "ETUX") {
      words.pop_back();
      removed = true;
    } else if (before == "ET" && (last == "AL" || last == "UX" || last == "VIR")) {
      words.resize(words.size() - 2);
      removed = true;
    }
  }
  return join_words(words, 0, words.size());
}

// Splits at "&", "/", "|" and the word AND, with or without spaces around the symbols, and
// drops parts that are empty or only whitespace.
std::vector<std::string> split_owners(const std::string& text) {
  std::vector<std::string> pieces(1);
  for (const char c : text) {
    if (c == '&' || c == '/' || c == '|') {
      pieces.emplace_back();
    } else {
      pieces.back() += c;
    }
  }

  std::vector<std::string> owners;
  for (const std::string& piece : pieces) {
    std::vector<std::string> current;
    for (const std::string& word : split_words(piece)) {
      if (equals_ignoring_case(word, "AND")) {
        owners.push_back(join_words(current, 0, current.size()));
        current.clear();
      } else {
        current.push_back(word);
      }
    }
    owners.push_back(join_words(current, 0, current.size()));
  }
  owners.erase(std::remove(owners.begin(), owners.end(), std::string()), owners.end());
  return owners;
}

// "GLENN & TRANG CHUA" lists Glenn Chua and Trang Chua: when the first owner is a single word
// and the last owner has more than one, the first owner takes the last owner's last name.
// NOTE: the rule reads owners in first-last order. In last-first data a lone first word is rare
// ("SMITH JOHN & MARY" has two), but "BLAKE | YARBROUGH VAUGHN D" would give "BLAKE D".
std::string first_owner(const std::vector<std::string>& owners) {
  const std::vector<std::string> first_words = split_words(owners.front());
  const std::vector<std::string> last_words = split_words(owners.back());
  if (owners.size() < 2 || first_words.size() != 1 || last_words.size() < 2) {
    return owners.front();
  }
  // The shared last name is the last word that is not a suffix: JR belongs to the second owner.
  std::size_t surname = last_words.size() - 1;
  while (surname > 1 && is_suffix(last_words[surname])) {
    --surname;
  }
  return owners.front() + " " + last_words[surname];
}

// ---------------------------------------------------------------------------------------------
// name_part

struct NameParts {
  std::optional<std::string> first;
  std::optional<std::string> last;
};

// Removes suffix words after the first word and returns them in their order.
std::vector<std::string> take_suffixes(std::vector<std::string>& words) {
  std::vector<std::string> suffixes;
  std::vector<std::string> kept;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0 && is_suffix(words[i])) {
      suffixes.push_back(words[i]);
    } else {
      kept.push_back(words[i]);
    }
  }
  words = std::move(kept);
  return suffixes;
}

std::string with_suffixes(std::string last, const std::vector<std::string>& suffixes) {
  for (const std::string& suffix : suffixes) {
    last += " " + suffix;
  }
  return last;
}

// "LAST, FIRST M": the comma marks the order regardless of the `order` argument.
NameParts split_comma_name(const std::string& text) {
  const std::size_t comma = text.find(',');
  std::vector<std::string> last_words = split_words(text.substr(0, comma));
  std::string rest = text.substr(comma + 1);
  std::replace(rest.begin(), rest.end(), ',', ' ');
  std::vector<std::string> rest_words = split_words(rest);

  // "SMITH, JOHN JR": the suffix after the comma still belongs to the last name.
  std::vector<std::string> suffixes;
  std::vector<std::string> given;
  for (const std::string& word : rest_words) {
    if (is_suffix(word)) {
      suffixes.push_back(word);
    } else if (given.empty() && contains(name_titles, word_key(word))) {
      continue;
    } else {
      given.push_back(word);
    }
  }

  NameParts parts;
  if (!last_words.empty()) {
    parts.last = with_suffixes(join_words(last_words, 0, last_words.size()), suffixes);
  }
  if (!given.empty()) {
    parts.first = given.front();
  }
  return parts;
}

NameParts split_name(const std::string& text, bool last_first) {
  if (text.find(',') != std::string::npos) {
    return split_comma_name(text);
  }

  std::vector<std::string> words = split_words(text);
  while (words.size() > 1 && contains(name_titles, word_key(words.front()))) {
    words.erase(words.begin());
  }
  const std::vector<std::string> suffixes = take_suffixes(words);

  NameParts parts;
  if (words.size() == 1) {
    parts.last = with_suffixes(words.front(), suffixes);
    return parts;
  }

  if (last_first) {
    // "YARBROUGH BLAKE S": last name first, then the given name, then middle initials.
    std::size_t end = 1;
    while (end < words.size() - 1 && contains(surname_particles, word_key(words[end - 1]))) {
      ++end;
    }
    parts.last = with_suffixes(join_words(words, 0, end), suffixes);
    if (end < words.size()) {
      parts.first = words[end];
    }
    return parts;
  }

  // "DREW S KESSLER": the given name, middle names or initials, then the last name, which takes
  // any particles before it ("JUAN DE LA CRUZ").
  std::size_t start = words.size() - 1;
  while (start > 1 && contains(surname_particles, word_key(words[start - 1]))) {
    --start;
  }
  parts.first = words.front();
  parts.last = with_suffixes(join_words(words, start, words.size()), suffixes);
  return parts;
}

}  // namespace

bool is_company_name(std::string_view name) {
  const std::vector<std::string> words = split_words(name);
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string key = word_key(words[i]);
    if (contains(company_words, key)) {
      return true;
    }
    std::string raw = to_ascii_upper(words[i]);
    raw.erase(std::remove(raw.begin(), raw.end(), ','), raw.end());
    if (raw == "CO.") {
      return true;
    }
    if (i + 1 < words.size() && contains(government_first_words, key) && word_key(words[i + 1]) == "OF") {
      return true;
    }
  }
  return false;
}

std::optional<std::string> owner(const TransformStep& step, const std::string& value, const TransformContext&) {
  const std::string text = collapse_spaces(value);
  if (text.empty()) {
    return std::nullopt;
  }
  // "|" separates owners in list exports and never appears inside a name, so the list is cut there
  // first. Each part is then one company ("J & J CONSTRUCTION" is not two owners) or is split
  // further at "&", "/" and AND.
  std::vector<std::string> owners;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t bar = text.find('|', start);
    const std::string part = collapse_spaces(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (is_company_name(part)) {
      owners.push_back(part);
    } else if (!part.empty()) {
      const std::vector<std::string> people = split_owners(without_care_of_and_et_al(part));
      owners.insert(owners.end(), people.begin(), people.end());
    }
    if (bar == std::string::npos) {
      break;
    }
    start = bar + 1;
  }
  if (owners.empty()) {
    return std::nullopt;
  }
  const std::string* which = argument_value(step, "which");
  if (which != nullptr && *which == "all") {
    std::string joined;
    for (const std::string& name : owners) {
      joined += joined.empty() ? "" : " & ";
      joined += name;
    }
    return joined;
  }
  return first_owner(owners);
}

std::optional<std::string> name_part(const TransformStep& step, const std::string& value, const TransformContext&) {
  const std::string text = collapse_spaces(value);
  if (text.empty()) {
    return std::nullopt;
  }
  const bool want_first = *argument_value(step, "part") == "first";
  if (is_company_name(text)) {
    return want_first ? std::nullopt : std::optional<std::string>(text);
  }

  const std::string* order = argument_value(step, "order");
  const NameParts parts = split_name(text, order != nullptr && *order == "last_first");
  return want_first ? parts.first : parts.last;
}

}  // namespace cc::mapping::detail
