#!/usr/bin/env bash
# Installs the dependencies, builds cc-connector and runs the whole test suite through ctest.
# The integration tests start their own PostgreSQL 15 server on a private UNIX socket and their
# own cc-mock-api processes on 127.0.0.1, so nothing else needs to be running.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${CC_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
cd "$build"
ctest --output-on-failure -j 2
