#!/usr/bin/env bash
# Installs Debian's Chromium (headless browser for the dashboard and editor end-to-end tests) when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-chromium.sh: /usr/bin/chromium is missing and this is not root; install Debian's chromium package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Other installers may run apt at the same time: one lock for all of them.
flock /tmp/apt.lock apt-get update -q
flock /tmp/apt.lock apt-get install -y -q --no-install-recommends chromium fonts-liberation
