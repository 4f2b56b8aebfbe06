#include "mapping/mapper.h"

#include <cctype>

namespace cc::mapping {

namespace {

bool is_blank(const std::optional<std::string>& value) {
  return !value || value->find_first_not_of(" \t\r\n") == std::string::npos;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// A column's value, or NULL when it equals one of the source's placeholders ("-", "TBD", ...).
std::optional<std::string> column_value(const ColumnValue& column, const std::vector<std::string>& placeholders) {
  if (!column.text || placeholders.empty()) {
    return column.text;
  }
  std::string_view text = *column.text;
  std::size_t begin = text.find_first_not_of(" \t\r\n");
  std::size_t end = text.find_last_not_of(" \t\r\n");
  std::string_view trimmed = begin == std::string_view::npos ? std::string_view() : text.substr(begin, end - begin + 1);
  for (const std::string& placeholder : placeholders) {
    if (equals_ignoring_case(trimmed, placeholder)) {
      return std::nullopt;
    }
  }
  return column.text;
}

// Reads the field's raw value before transforms. Returns nullopt for SQL NULL.
std::optional<std::string> raw_value(const FieldSpec& field, const SourceRow& row,
                                     const std::vector<std::string>& placeholders, ColumnType& type,
                                     std::vector<FieldProblem>& problems) {
  switch (field.kind) {
    case FieldSpec::Kind::literal:
      type = ColumnType::text;
      return field.literal;

    case FieldSpec::Kind::column: {
      auto found = row.find(field.column);
      if (found == row.end()) {
        problems.push_back({field.target, "column '" + field.column + "' is not in the source row"});
        return std::nullopt;
      }
      type = found->second.type;
      return column_value(found->second, placeholders);
    }

    case FieldSpec::Kind::coalesce:
      for (const std::string& column : field.coalesce_columns) {
        auto found = row.find(column);
        if (found == row.end()) {
          problems.push_back({field.target, "column '" + column + "' is not in the source row"});
          continue;
        }
        std::optional<std::string> value = column_value(found->second, placeholders);
        if (!is_blank(value)) {
          type = found->second.type;
          return value;
        }
      }
      return std::nullopt;

    case FieldSpec::Kind::template_text: {
      // NULL columns render as empty text, so "{last}, {first}" still works when one part is missing.
      std::string text;
      type = ColumnType::text;
      for (const TemplatePart& part : field.template_parts) {
        if (!part.is_column) {
          text += part.text;
          continue;
        }
        auto found = row.find(part.text);
        if (found == row.end()) {
          problems.push_back({field.target, "column '" + part.text + "' is not in the source row"});
          continue;
        }
        text += column_value(found->second, placeholders).value_or("");
      }
      return text;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string MappedRow::problems_text() const {
  std::string text;
  for (const FieldProblem& problem : problems) {
    if (!text.empty()) {
      text += "; ";
    }
    text += problem.field + ": " + problem.message;
  }
  return text;
}

MappedRow map_row(const Mapping& mapping, const SourceRow& row) {
  MappedRow result;
  for (const FieldSpec& field : mapping.fields) {
    ColumnType type = ColumnType::text;
    std::optional<std::string> value = raw_value(field, row, mapping.source.placeholders, type, result.problems);

    TransformContext context;
    context.field = field.target;
    context.max_length = field.max_length;
    context.timezone = field.timezone;
    context.column_type = type;
    context.lookups = &mapping.lookups;
    bool transform_failed = false;
    for (const TransformStep& transform : field.transforms) {
      if (!value) {
        break;  // transforms never invent a value for NULL; the default below may
      }
      try {
        value = apply_transform(transform, *value, context);
        // After the first transform the value is text whatever the column type was.
        context.column_type = ColumnType::text;
      } catch (const TransformError& error) {
        result.problems.push_back({field.target, error.what()});
        value.reset();
        transform_failed = true;
        break;
      }
    }

    // A default replaces a missing value, never a bad one, because sending "IL" for a row whose
    // state could not be read would put a wrong state into Contractors Cloud.
    if (is_blank(value) && field.default_value && !transform_failed) {
      value = field.default_value;
    }
    if (value) {
      result.record[field.target] = *value;
    }
  }

  std::vector<FieldProblem> catalog_problems = validate_record(result.record);
  for (FieldProblem& problem : catalog_problems) {
    // A field whose transform already failed is reported once, with the transform's reason.
    bool already_reported = false;
    for (const FieldProblem& existing : result.problems) {
      already_reported = already_reported || existing.field == problem.field;
    }
    if (!already_reported) {
      result.problems.push_back(std::move(problem));
    }
  }
  return result;
}

}  // namespace cc::mapping
