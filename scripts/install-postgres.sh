#!/usr/bin/env bash
# Installs Debian's PostgreSQL server (used by the collector's tests and benchmark) when it is missing.
# The tests start and stop their own cluster in a temporary folder; this only installs the binaries.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-postgres.sh: PostgreSQL is missing and this is not root; install Debian's postgresql package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Other installers may run apt at the same time: one lock for all of them.
flock /tmp/apt.lock apt-get update -q
flock /tmp/apt.lock apt-get install -y -q --no-install-recommends postgresql
