#!/usr/bin/env bash
# Installs the npm dependencies (exactly the lock file) and builds every package.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci — on a fresh machine this takes about 5 minutes (better-sqlite3 compiles from source; nothing is printed meanwhile)" >&2
  start=$SECONDS
  npm ci
  echo "setup: npm ci done in $((SECONDS - start)) s" >&2
fi
echo "setup: building every package (tsc -b)" >&2
npm run build
