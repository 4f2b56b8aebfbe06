#include "mapping/mapper.h"

namespace cc::mapping {

namespace {

// Reads the field's raw value before transforms. Returns nullopt for SQL NULL.
std::optional<std::string> raw_value(const FieldSpec& field, const SourceRow& row, ColumnType& type,
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
      return found->second.text;
    }

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
        text += found->second.text.value_or("");
      }
      return text;
    }
  }
  return std::nullopt;
}

bool is_blank(const std::optional<std::string>& value) {
  return !value || value->find_first_not_of(" \t\r\n") == std::string::npos;
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
    std::optional<std::string> value = raw_value(field, row, type, result.problems);

    TransformContext context;
    context.field = field.target;
    context.max_length = field.max_length;
    context.timezone = field.timezone;
    context.column_type = type;
    bool transform_failed = false;
    for (const std::string& transform : field.transforms) {
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

    // A default stands in for a missing value, never for a bad one: sending "IL" for a row whose
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
