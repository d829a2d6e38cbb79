#!/usr/bin/env bash
# Installs Debian's ClickHouse server and client (the collector's cluster backend; its tests start a
# throw-away two-shard cluster in a temporary folder) when they are missing. Idempotent.
set -euo pipefail
if command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-clickhouse.sh: ClickHouse is missing and this is not root; install Debian's clickhouse-server and clickhouse-client packages" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Other installers may run apt at the same time: one lock for all of them.
flock /tmp/apt.lock apt-get update -q
flock /tmp/apt.lock apt-get install -y -q --no-install-recommends clickhouse-server clickhouse-client
# The tests run their own servers; the packaged service is not needed.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now clickhouse-server >/dev/null 2>&1 || true; fi
