// libFuzzer target for the mapping loader and the transforms. An input is mapping TOML, a line
// "---", then one column value per line. The loader must turn any text into a Mapping or a
// ConfigError, and map_row must turn any values into a record or field problems: any other
// exception, crash or sanitizer report is a bug.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_error.h"
#include "mapping/mapper.h"
#include "mapping/mapping.h"
#include "mapping/transforms.h"

namespace {

using namespace cc::mapping;

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size() && lines.size() < 64) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      lines.emplace_back(text.substr(start));
      break;
    }
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Runs every transform that needs no argument on every value, under each column type.
void fuzz_transforms(const std::vector<std::string>& values) {
  static const std::vector<ColumnType> types = {ColumnType::text,      ColumnType::number, ColumnType::date,
                                                ColumnType::timestamp, ColumnType::timestamptz, ColumnType::json};
  LookupTables lookups;
  for (std::string_view name : transform_names()) {
    const TransformSignature* signature = transform_signature(name);
    if (signature == nullptr || !signature->required.empty()) {
      continue;
    }
    TransformStep step{std::string(name), {}};
    for (const std::string& value : values) {
      for (ColumnType type : types) {
        TransformContext context;
        context.field = "req_street";
        context.max_length = 20;
        context.timezone = "America/Chicago";
        context.column_type = type;
        context.lookups = &lookups;
        try {
          apply_transform(step, value, context);
        } catch (const TransformError&) {
          // A value the transform rejects, with a message: the expected outcome for bad input.
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t separator = input.find("\n---\n");
  std::string_view toml = input.substr(0, separator);
  std::vector<std::string> values =
      separator == std::string_view::npos ? std::vector<std::string>{} : split_lines(input.substr(separator + 5));

  fuzz_transforms(values);

  Mapping mapping;
  try {
    mapping = parse_mapping(toml, "fuzz.toml");
  } catch (const cc::config::ConfigError&) {
    return 0;
  }

  SourceRow row;
  std::size_t next = 0;
  for (const std::string& column : mapping.referenced_columns()) {
    ColumnValue value;
    if (!values.empty()) {
      value.text = values[next++ % values.size()];
    }
    row[column] = value;
  }
  MappedRow mapped = map_row(mapping, row);
  (void)mapped.problems_text();
  return 0;
}
