// The list of transforms with their arguments and accepted column types, the checks of a step's
// arguments, and dispatch from a step to its implementation.
#include "mapping/transforms.h"

#include <algorithm>
#include <stdexcept>

namespace cc::mapping {

namespace {

enum class ArgumentKind {
  choice,          // one of ArgumentRule::choices
  positive_count,  // a whole number above 0
  decimal_places,  // a whole number from 0 to max_decimal_places
  text,            // any one value
  text_list,       // one or more values
  lookup_table,    // the name of a [lookups] table
  json_path,       // a path such as customer.phones[0].number
  date_format,     // a date::parse format such as %d/%m/%Y
};

constexpr std::size_t max_decimal_places = 12;

struct ArgumentRule {
  std::string_view name;
  bool required = false;
  ArgumentKind kind = ArgumentKind::text;
  std::vector<std::string_view> choices;
};

struct TransformInfo {
  std::string_view name;
  detail::StepFunction function;
  std::vector<ArgumentRule> arguments;
  std::vector<ColumnType> accepted_types;
  TransformSignature signature;  // derived from `arguments`
};

using enum ColumnType;

const std::vector<ColumnType> all_types = {text, number, boolean, date, timestamp, timestamptz, uuid, json};
const std::vector<ColumnType> text_only = {text};
const std::vector<ColumnType> text_or_uuid = {text, uuid};
const std::vector<ColumnType> text_or_number = {text, number};
const std::vector<ColumnType> text_or_json = {text, json};

ArgumentRule required_choice(std::string_view name, std::vector<std::string_view> choices) {
  return {name, true, ArgumentKind::choice, std::move(choices)};
}

ArgumentRule optional_choice(std::string_view name, std::vector<std::string_view> choices) {
  return {name, false, ArgumentKind::choice, std::move(choices)};
}

ArgumentRule optional_text(std::string_view name) {
  return {name, false, ArgumentKind::text, {}};
}

// In the order the documentation lists the transforms.
std::vector<TransformInfo> make_registry() {
  std::vector<TransformInfo> registry = {
      {"trim", detail::trim, {}, all_types, {}},
      {"collapse_whitespace", detail::collapse_whitespace, {}, text_only, {}},
      {"html_unescape", detail::html_unescape, {}, text_only, {}},
      {"upper", detail::upper, {}, text_or_uuid, {}},
      {"lower", detail::lower, {}, text_or_uuid, {}},
      {"title_case", detail::title_case, {}, text_only, {}},
      {"digits", detail::digits, {}, text_or_number, {}},
      {"missing_if", detail::missing_if, {{"values", true, ArgumentKind::text_list, {}}}, all_types, {}},
      {"owner", detail::owner, {optional_choice("which", {"first", "all"})}, text_only, {}},
      {"name_part",
       detail::name_part,
       {required_choice("part", {"first", "last"}), optional_choice("order", {"first_last", "last_first"})},
       text_only,
       {}},
      {"address_part",
       detail::address_part,
       {required_choice("part", {"street", "unit", "city", "state", "zip"})},
       text_only,
       {}},
      {"state_code", detail::state_code, {}, text_only, {}},
      {"zip5", detail::zip5, {optional_choice("pad", {"true", "false"})}, text_or_number, {}},
      {"postal_code", detail::postal_code, {}, text_or_number, {}},
      {"phone", detail::phone, {}, text_or_number, {}},
      {"money", detail::money, {}, text_or_number, {}},
      {"number", detail::number, {{"decimals", false, ArgumentKind::decimal_places, {}}}, text_or_number, {}},
      {"boolean",
       detail::boolean,
       {optional_text("true_text"), optional_text("false_text")},
       {text, number, boolean},
       {}},
      {"lookup",
       detail::lookup,
       {{"table", true, ArgumentKind::lookup_table, {}}, optional_text("default")},
       {text, number, boolean},
       {}},
      {"json_path", detail::json_path, {{"path", true, ArgumentKind::json_path, {}}}, text_or_json, {}},
      {"array_join", detail::array_join, {optional_text("separator")}, text_or_json, {}},
      {"array_first", detail::array_first, {}, text_or_json, {}},
      {"mysql_datetime",
       detail::mysql_datetime,
       {{"format", false, ArgumentKind::date_format, {}}},
       {text, date, timestamp, timestamptz},
       {}},
      {"truncate", detail::truncate, {{"length", false, ArgumentKind::positive_count, {}}}, all_types, {}},
  };
  for (TransformInfo& info : registry) {
    for (const ArgumentRule& rule : info.arguments) {
      (rule.required ? info.signature.required : info.signature.optional).emplace_back(rule.name);
    }
  }
  return registry;
}

const std::vector<TransformInfo>& registry() {
  static const std::vector<TransformInfo> transforms = make_registry();
  return transforms;
}

const TransformInfo* find_transform(std::string_view name) {
  const std::vector<TransformInfo>& transforms = registry();
  const auto found = std::find_if(transforms.begin(), transforms.end(),
                                  [name](const TransformInfo& info) { return info.name == name; });
  return found == transforms.end() ? nullptr : &*found;
}

std::string unknown_transform_message(std::string_view name) {
  std::string message = "unknown transform " + quote_value(name) + "; expected one of ";
  bool first = true;
  for (std::string_view known : transform_names()) {
    message += first ? "" : ", ";
    message += known;
    first = false;
  }
  return message;
}

// Lists values as "'first' or 'last'" or "'a', 'b' or 'c'".
std::string alternatives(const std::vector<std::string_view>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      text += i + 1 == values.size() ? " or " : ", ";
    }
    text += quote_value(values[i]);
  }
  return text;
}

std::string lookup_table_problem(const std::string& table, const LookupTables& lookups) {
  std::string message = "argument table is " + quote_value(table) + ", which is not a table under [lookups]; ";
  if (lookups.empty()) {
    return message + "the mapping defines no tables, so add one such as [lookups." + table + "]";
  }
  message += "the tables are ";
  bool first = true;
  for (const auto& [name, entries] : lookups) {
    message += first ? "" : ", ";
    message += name;
    first = false;
  }
  return message;
}

// Returns the problem with the values of one argument, or an empty string.
std::string argument_problem(const ArgumentRule& rule, const std::vector<std::string>& values,
                             const LookupTables& lookups) {
  const std::string name(rule.name);
  if (rule.kind == ArgumentKind::text_list) {
    return values.empty() ? "argument " + name + " is an empty list; expected at least one value" : "";
  }
  if (values.size() != 1) {
    return "argument " + name + " takes one value, not " + std::to_string(values.size());
  }

  const std::string& value = values.front();
  switch (rule.kind) {
    case ArgumentKind::choice:
      if (std::find(rule.choices.begin(), rule.choices.end(), value) == rule.choices.end()) {
        return "argument " + name + " is " + quote_value(value) + "; expected " + alternatives(rule.choices);
      }
      return "";
    case ArgumentKind::positive_count: {
      const std::optional<std::size_t> count = detail::parse_count(value);
      if (!count || *count == 0) {
        return "argument " + name + " is " + quote_value(value) + "; expected a whole number above 0";
      }
      return "";
    }
    case ArgumentKind::decimal_places: {
      const std::optional<std::size_t> count = detail::parse_count(value);
      if (!count || *count > max_decimal_places) {
        return "argument " + name + " is " + quote_value(value) + "; expected a whole number from 0 to " +
               std::to_string(max_decimal_places);
      }
      return "";
    }
    case ArgumentKind::lookup_table:
      return lookups.count(value) == 0 ? lookup_table_problem(value, lookups) : "";
    case ArgumentKind::json_path:
      return detail::json_path_problem(value);
    case ArgumentKind::date_format:
      return detail::date_format_problem(value);
    case ArgumentKind::text:
    case ArgumentKind::text_list:
      return "";
  }
  return "";
}

std::string argument_names(const TransformInfo& info) {
  if (info.arguments.empty()) {
    return "it takes no arguments";
  }
  std::string text = "its arguments are ";
  for (std::size_t i = 0; i < info.arguments.size(); ++i) {
    text += i > 0 ? ", " : "";
    text += info.arguments[i].name;
  }
  return text;
}

}  // namespace

const std::vector<std::string_view>& transform_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> result;
    for (const TransformInfo& info : registry()) {
      result.push_back(info.name);
    }
    return result;
  }();
  return names;
}

bool is_known_transform(std::string_view name) {
  return find_transform(name) != nullptr;
}

const TransformSignature* transform_signature(std::string_view name) {
  const TransformInfo* info = find_transform(name);
  return info == nullptr ? nullptr : &info->signature;
}

// Also reports unknown and missing argument names, so that the check is complete for callers
// that build steps in code rather than from a mapping file.
std::string check_transform_arguments(const TransformStep& step, const LookupTables& lookups) {
  const TransformInfo* info = find_transform(step.name);
  if (info == nullptr) {
    return unknown_transform_message(step.name);
  }
  for (const auto& argument : step.arguments) {
    const std::string& name = argument.first;
    const bool known = std::any_of(info->arguments.begin(), info->arguments.end(),
                                   [&name](const ArgumentRule& rule) { return rule.name == name; });
    if (!known) {
      return step.name + ": unknown argument " + quote_value(name) + "; " + argument_names(*info);
    }
  }

  for (const ArgumentRule& rule : info->arguments) {
    const auto found = step.arguments.find(std::string(rule.name));
    if (found == step.arguments.end()) {
      if (!rule.required) {
        continue;
      }
      std::string message = step.name + ": argument " + std::string(rule.name) + " is required";
      if (rule.kind == ArgumentKind::choice) {
        message += "; expected " + alternatives(rule.choices);
      }
      return message;
    }
    const std::string problem = argument_problem(rule, found->second, lookups);
    if (!problem.empty()) {
      return step.name + ": " + problem;
    }
  }
  return "";
}

bool transform_accepts(std::string_view name, ColumnType type) {
  const TransformInfo* info = find_transform(name);
  if (info == nullptr) {
    return false;
  }
  return std::find(info->accepted_types.begin(), info->accepted_types.end(), type) != info->accepted_types.end();
}

std::optional<std::string> apply_transform(const TransformStep& step, const std::string& value,
                                           const TransformContext& context) {
  const TransformInfo* info = find_transform(step.name);
  if (info == nullptr) {
    throw std::invalid_argument(unknown_transform_message(step.name));
  }
  static const LookupTables no_lookups;
  const std::string problem = check_transform_arguments(step, context.lookups ? *context.lookups : no_lookups);
  if (!problem.empty()) {
    throw std::invalid_argument(problem);
  }
  return info->function(step, value, context);
}

std::string apply_transform(std::string_view name, const std::string& value, const TransformContext& context) {
  const TransformStep step{std::string(name), {}};
  return apply_transform(step, value, context).value_or("");
}

}  // namespace cc::mapping
