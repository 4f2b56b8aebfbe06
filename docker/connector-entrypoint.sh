#!/bin/sh
# Installs or upgrades the cc_sync schema and the capture triggers, then runs the connector.
# exec makes cc-connector PID 1, so `docker compose stop` sends SIGTERM to it directly.
set -eu
config=${CC_CONFIG:-/etc/cc-connector/connector.toml}
cc-connector --config "$config" init
exec cc-connector --config "$config" run
