#!/usr/bin/env bash
# Builds the mapping fuzz target with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer, and runs it for a bounded time from the seed corpus.
#   run_fuzz.sh BUILD_DIR SECONDS
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${1:?usage: run_fuzz.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run_fuzz.sh BUILD_DIR SECONDS}
compiler=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z "$compiler" ]]; then
  echo "clang++ not found; install clang-14 and libclang-rt-14-dev" >&2
  exit 1
fi

mkdir -p "$build_dir/fuzz-corpus"
binary="$build_dir/mapping_fuzz"
sources=(
  "$source_dir/tests/fuzz/mapping_fuzz.cpp"
  "$source_dir/connector/config/config_error.cpp"
  "$source_dir/connector/mapping/mapping.cpp"
  "$source_dir/connector/mapping/mapper.cpp"
  "$source_dir/connector/mapping/field_catalog.cpp"
)
for file in "$source_dir"/connector/mapping/transforms*.cpp; do
  sources+=("$file")
done

# Rebuild only when a source is newer than the binary.
rebuild=0
for file in "${sources[@]}" "$source_dir"/connector/mapping/*.h "$source_dir"/connector/config/*.h; do
  [[ -f "$binary" && "$file" -ot "$binary" ]] || rebuild=1
done
if [[ $rebuild -eq 1 ]]; then
  # NDEBUG as in the shipped build. toml++ 3.3 asserts on some malformed table headers (corpus
  # file toml_header_assert) in debug builds only; compiled as it ships, AddressSanitizer finds
  # no memory error on them.
  "$compiler" -std=c++20 -g -O1 -DNDEBUG -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DUSE_OS_TZDB=1 -DONLY_C_LOCALE=1 -DHAS_STRING_VIEW=1 -I "$source_dir/connector" \
    "${sources[@]}" -o "$binary" -ldate-tz -lphonenumber -lpthread
fi

# Fixed seed and bounded time and length, so that a CI run is repeatable and ends by itself.
"$binary" -seed=1 -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$build_dir/fuzz-corpus" "$source_dir/tests/fuzz/corpus"
