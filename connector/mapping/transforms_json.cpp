// Transforms for structured values: json_path reads one value out of JSON text, and
// array_join and array_first read PostgreSQL arrays and JSON arrays.
#include "mapping/transforms.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace cc::mapping::detail {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// json_path

struct PathStep {
  std::string key;                   // set for ".key"
  std::optional<std::size_t> index;  // set for "[N]"
};

// Parses "customer.address.city", "phones[0].number" or "tags[1]", optionally written after
// "$." as in JSONPath. Returns nothing and sets `problem` when the path is malformed.
std::optional<std::vector<PathStep>> parse_path(std::string_view path, std::string& problem) {
  const std::string original(path);
  const auto malformed = [&problem, &original](std::string_view reason) {
    problem = "argument path is " + quote_value(original) + ", which " + std::string(reason) +
              "; expected keys separated by dots with [N] for array elements, such as customer.phones[0].number";
    return std::nullopt;
  };

  if (path.starts_with("$.")) {
    path.remove_prefix(2);
  } else if (path.starts_with("$[")) {
    path.remove_prefix(1);
  }
  if (path.empty()) {
    return malformed("is empty");
  }

  std::vector<PathStep> steps;
  std::size_t i = 0;
  bool expect_key = path.front() != '[';
  while (i < path.size()) {
    if (path[i] == '[') {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) {
        return malformed("has a [ without ]");
      }
      const std::string_view digits = path.substr(i + 1, close - i - 1);
      const std::optional<std::size_t> index = parse_count(digits);
      if (!index) {
        return malformed("has an index that is not a whole number");
      }
      steps.push_back({"", index});
      i = close + 1;
      if (i < path.size() && path[i] != '.' && path[i] != '[') {
        return malformed("has text right after ]");
      }
      if (i < path.size() && path[i] == '.') {
        ++i;
        expect_key = true;
        if (i == path.size()) {
          return malformed("ends with a dot");
        }
      }
      continue;
    }
    if (!expect_key) {
      return malformed("has a key where a dot is needed");
    }
    const std::size_t end = path.find_first_of(".[]", i);
    const std::string_view key = path.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (key.empty()) {
      return malformed("has an empty key");
    }
    steps.push_back({std::string(key), std::nullopt});
    i = end == std::string_view::npos ? path.size() : end;
    if (i < path.size() && path[i] == ']') {
      return malformed("has a ] without [");
    }
    if (i < path.size() && path[i] == '.') {
      ++i;
      if (i == path.size()) {
        return malformed("ends with a dot");
      }
    } else {
      expect_key = false;
    }
  }
  return steps;
}

json parse_json(std::string_view transform, const std::string& value) {
  try {
    return json::parse(value);
  } catch (const json::parse_error& error) {
    throw TransformError(transform_error_text(
        transform, value,
        "is not valid JSON (syntax error at byte " + std::to_string(error.byte) +
            "); expected JSON text such as {\"city\": \"Chicago\"}"));
  } catch (const json::out_of_range&) {
    throw TransformError(transform_error_text(
        transform, value, "is not valid JSON here: it has a number too large for a double; expected numbers below 1e308"));
  }
}

// Strings as their text, other scalars and containers as compact JSON.
std::string json_text(const json& node) {
  if (node.is_string()) {
    return node.get<std::string>();
  }
  return node.dump(-1, ' ', false, json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------------------------
// Arrays

using Elements = std::vector<std::optional<std::string>>;  // nothing for NULL

// PostgreSQL allows at most 6 dimensions; the limit also bounds the recursion.
constexpr int max_array_depth = 6;

void skip_spaces(std::string_view text, std::size_t& i) {
  while (i < text.size() && is_ascii_space(text[i])) {
    ++i;
  }
}

// Reads one "{...}" level of a PostgreSQL array literal starting at text[i], appending its
// elements and those of nested levels in order. Returns false when the literal is malformed.
bool read_array_level(std::string_view text, std::size_t& i, int depth, Elements& elements) {
  if (depth > max_array_depth || i >= text.size() || text[i] != '{') {
    return false;
  }
  ++i;
  skip_spaces(text, i);
  if (i < text.size() && text[i] == '}') {
    ++i;
    return true;
  }
  while (true) {
    skip_spaces(text, i);
    if (i >= text.size()) {
      return false;
    }
    if (text[i] == '{') {
      if (!read_array_level(text, i, depth + 1, elements)) {
        return false;
      }
    } else if (text[i] == '"') {
      std::string element;
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\' && ++i >= text.size()) {
          return false;
        }
        element += text[i];
      }
      if (i >= text.size()) {
        return false;
      }
      ++i;
      elements.emplace_back(std::move(element));
    } else {
      // Unquoted: up to the next comma or brace, without surrounding whitespace. Only an
      // unquoted, unescaped NULL is a null element.
      std::string element;
      bool escaped = false;
      for (; i < text.size() && text[i] != ',' && text[i] != '}'; ++i) {
        if (text[i] == '{' || text[i] == '"') {
          return false;
        }
        if (text[i] == '\\') {
          if (++i >= text.size()) {
            return false;
          }
          escaped = true;
        }
        element += text[i];
      }
      element = std::string(trim_view(element));
      if (!escaped && equals_ignoring_case(element, "NULL")) {
        elements.emplace_back(std::nullopt);
      } else {
        elements.emplace_back(std::move(element));
      }
    }
    skip_spaces(text, i);
    if (i >= text.size()) {
      return false;
    }
    if (text[i] == '}') {
      ++i;
      return true;
    }
    if (text[i] != ',') {
      return false;
    }
    ++i;
  }
}

// Skips the dimension decoration "[1:3]=" or "[0:1][1:2]=" that PostgreSQL writes before an
// array whose lower bound is not 1. Returns false when text starts with "[" for another reason.
bool skip_dimensions(std::string_view text, std::size_t& i) {
  const std::size_t start = i;
  while (i < text.size() && text[i] == '[') {
    const std::size_t close = text.find(']', i);
    if (close == std::string_view::npos) {
      i = start;
      return false;
    }
    const std::string_view bounds = text.substr(i + 1, close - i - 1);
    const bool valid = !bounds.empty() && bounds.find(':') != std::string_view::npos &&
                       bounds.find_first_not_of("0123456789:-") == std::string_view::npos;
    if (!valid) {
      i = start;
      return false;
    }
    i = close + 1;
  }
  if (i > start && i < text.size() && text[i] == '=') {
    ++i;
    return true;
  }
  i = start;
  return false;
}

Elements array_elements(std::string_view transform, const std::string& value, const TransformContext& context) {
  const std::string_view text = trim_view(value);
  std::size_t i = 0;
  const bool decorated = skip_dimensions(text, i);
  const bool postgres_literal = context.column_type != ColumnType::json && (decorated || text.starts_with('{'));

  if (!postgres_literal) {
    const json parsed = parse_json(transform, std::string(text));
    if (!parsed.is_array()) {
      throw TransformError(transform_error_text(
          transform, value, "is JSON but not an array; expected a JSON array such as [\"a\", \"b\"]"));
    }
    Elements elements;
    for (const json& node : parsed) {
      elements.push_back(node.is_null() ? std::nullopt : std::optional<std::string>(json_text(node)));
    }
    return elements;
  }

  Elements elements;
  if (!read_array_level(text, i, 1, elements) || i != text.size()) {
    throw TransformError(transform_error_text(
        transform, value,
        "is not a valid PostgreSQL array literal; expected braces around comma-separated elements such as "
        "{a,b,\"c d\",NULL}, or a JSON array"));
  }
  return elements;
}

bool is_present(const std::optional<std::string>& element) {
  return element && !trim_view(*element).empty();
}

}  // namespace

std::string json_path_problem(std::string_view path) {
  std::string problem;
  parse_path(path, problem);
  return problem;
}

// A path that leads nowhere (a key that is not there, an index past the end, a key on an array)
// or to JSON null is a missing value, not an error: optional keys are common in JSON columns.
std::optional<std::string> json_path(const TransformStep& step, const std::string& value, const TransformContext&) {
  std::string problem;
  const std::optional<std::vector<PathStep>> steps = parse_path(*argument_value(step, "path"), problem);
  const json document = parse_json("json_path", value);

  const json* node = &document;
  for (const PathStep& path_step : *steps) {
    if (path_step.index) {
      if (!node->is_array() || *path_step.index >= node->size()) {
        return std::nullopt;
      }
      node = &(*node)[*path_step.index];
    } else {
      if (!node->is_object()) {
        return std::nullopt;
      }
      const auto found = node->find(path_step.key);
      if (found == node->end()) {
        return std::nullopt;
      }
      node = &*found;
    }
  }
  if (node->is_null()) {
    return std::nullopt;
  }
  return json_text(*node);
}

std::optional<std::string> array_join(const TransformStep& step, const std::string& value,
                                      const TransformContext& context) {
  const std::string* separator_argument = argument_value(step, "separator");
  const std::string separator = separator_argument != nullptr ? *separator_argument : ", ";

  std::string joined;
  bool any = false;
  for (const std::optional<std::string>& element : array_elements("array_join", value, context)) {
    if (!is_present(element)) {
      continue;
    }
    if (any) {
      joined += separator;
    }
    joined += *element;
    any = true;
  }
  if (!any) {
    return std::nullopt;
  }
  return joined;
}

std::optional<std::string> array_first(const TransformStep&, const std::string& value, const TransformContext& context) {
  const Elements elements = array_elements("array_first", value, context);
  const auto found = std::find_if(elements.begin(), elements.end(), is_present);
  return found == elements.end() ? std::nullopt : *found;
}

}  // namespace cc::mapping::detail
