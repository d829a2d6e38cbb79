#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3 in the browser; the newest release whose engines
# accept Node 20) for the extension's end-to-end test, when it is missing. Prints the path of the
# `code-server` binary as its last line of standard output; progress goes to standard error.
#
# Where: $POLAR_CODE_SERVER_DIR, default ~/.cache/polar-ide/code-server-4.100.3 (outside the repo so
# npm's workspaces never see it). Needs root + apt-get for the Debian packages the first time.
set -euo pipefail

VERSION=4.100.3
DIR="${POLAR_CODE_SERVER_DIR:-$HOME/.cache/polar-ide/code-server-$VERSION}"
BIN="$DIR/node_modules/.bin/code-server"

log() { echo "install-code-server: $*" >&2; }

installed() { [ -x "$BIN" ] && [ -f "$DIR/node_modules/code-server/out/node/entry.js" ] && [ -f "$DIR/.complete" ]; }

if installed; then
  echo "$BIN"
  exit 0
fi

# Debian packages: the browser, kerberos headers (code-server's optional kerberos module compiles
# from source) and ripgrep (its binary stands in for the one @vscode/ripgrep would download).
need=()
[ -x /usr/bin/chromium ] || need+=(chromium fonts-liberation)
[ -x /usr/bin/rg ] || need+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "ERROR: missing ${need[*]} and cannot install them (needs root and apt-get)"
    exit 1
  fi
  log "apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Other installers may run apt at the same time: one lock for all of them.
  flock /tmp/apt.lock apt-get update -qq >&2
  flock /tmp/apt.lock apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

mkdir -p "$DIR"
exec 9>"$DIR.lock"
flock 9
if installed; then
  echo "$BIN"
  exit 0
fi

start=$(date +%s)
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# @vscode/ripgrep's postinstall downloads a release binary from GitHub, which is unreachable here:
# seed the cache it looks in (under os.tmpdir()) with Debian's rg so it never goes online.
mkdir -p "$scratch/vscode-ripgrep-cache-1.15.11"
tar czf "$scratch/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C /usr/bin rg

cd "$DIR"
[ -f package.json ] || echo '{"name":"polar-ide-code-server","private":true}' >package.json
log "npm install code-server@$VERSION (about a minute; argon2/kerberos compile from source)"
# As root, npm 11 runs install scripts only with unsafe-perm; node-pty's postinstall runs npx node-gyp.
TMPDIR="$scratch" npm_config_yes=true npm_config_unsafe_perm=true npm_config_fund=false npm_config_audit=false \
  npm install --no-save --foreground-scripts "code-server@$VERSION" >"$scratch/npm.log" 2>&1 || {
  tail -50 "$scratch/npm.log" >&2
  log "ERROR: npm install code-server@$VERSION failed"
  exit 1
}
"$BIN" --version >&2
touch .complete
log "installed in $(($(date +%s) - start)) s at $DIR"
echo "$BIN"
