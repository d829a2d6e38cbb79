#!/usr/bin/env bash
# The main job: set up, then run the telemetry collector on an embedded SQLite file, with the dashboard.
# State (database and the generated tokens) lives in .polar-collector/ (override with POLAR_COLLECTOR_HOME).
# Every setting can be overridden with POLAR_COLLECTOR_<NAME> variables or flags passed to this script.
set -euo pipefail
cd "$(dirname "$0")/.."
# POLAR_SKIP_SETUP=1 skips the set-up step (the banner test runs this script on an already built tree).
if [ "${POLAR_SKIP_SETUP:-}" != "1" ]; then
  bash scripts/setup.sh >&2
fi
home="${POLAR_COLLECTOR_HOME:-.polar-collector}"
mkdir -p "$home"
chmod 700 "$home"
tokens="$home/tokens.env"
if [ ! -f "$tokens" ]; then
  # Random read token on first start; kept so that the dashboard login survives restarts.
  umask 077
  printf 'POLAR_COLLECTOR_PROJECT_TOKEN=%s\nPOLAR_COLLECTOR_READ_TOKEN=%s\n' \
    "${POLAR_COLLECTOR_PROJECT_TOKEN:-polar-ide}" "$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))')" > "$tokens"
fi
set -a
# shellcheck disable=SC1090
. "$tokens"
set +a
# A curl header file (0600), so the banner's curl line works when pasted into a new shell and the
# token never appears on a command line (readable by any local user in /proc/PID/cmdline).
header="$(cd "$home" && pwd)/read-token.header"
(umask 077 && printf 'Authorization: Bearer %s\n' "$POLAR_COLLECTOR_READ_TOKEN" > "$header")
export POLAR_COLLECTOR_DB="${POLAR_COLLECTOR_DB:-sqlite:$home/telemetry.db}"
host="${POLAR_COLLECTOR_HOST:-127.0.0.1}"
port="${POLAR_COLLECTOR_PORT:-8787}"
# Flags win over the environment: show the address the server will really use.
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --port=*) port="${args[$i]#--port=}" ;;
    --host=*) host="${args[$i]#--host=}" ;;
    --port) port="${args[$((i + 1))]:-$port}" ;;
    --host) host="${args[$((i + 1))]:-$host}" ;;
  esac
done
cat <<MSG
Polar telemetry collector
  database:   $POLAR_COLLECTOR_DB
  dashboard:  http://$host:$port/dashboard   (log in with the read token below)
  read token: $POLAR_COLLECTOR_READ_TOKEN   (stored in $tokens)
  ingest:     POST http://$host:$port/track   (Mixpanel protocol; project token: $POLAR_COLLECTOR_PROJECT_TOKEN)
  read API:   curl -H "@$header" http://$host:$port/api/summary
MSG
# node on the built file directly: on a fresh checkout npm links bins before the build creates them.
exec node packages/collector/dist/main.js serve "$@"
