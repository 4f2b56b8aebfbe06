#!/usr/bin/env bash
# Installs what cc-connector needs to build, test and run its demo on Debian 12 (bookworm).
# Run as root or with sudo available. Safe to run again: apt-get skips what is installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libpqxx-dev libpq-dev libcurl4-openssl-dev nlohmann-json3-dev libtomlplusplus-dev
  libspdlog-dev libcli11-dev libcpp-httplib-dev libphonenumber-dev libhowardhinnant-date-dev
  doctest-dev tzdata ca-certificates curl
  clang-14 libclang-rt-14-dev
  postgresql-15 postgresql-client-15
)

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
else
  sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "cc-connector build and test dependencies are installed"
