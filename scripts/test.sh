#!/usr/bin/env bash
# The one command that sets up and runs every test: system packages the real-part tests need
# (Neovim + Emacs eglot, PostgreSQL, Chromium, code-server), npm install, build, lint + format
# check, type-check, then every test suite of every package.
set -euo pipefail
cd "$(dirname "$0")/.."
for installer in install-editors install-postgres install-chromium install-code-server; do
  if [ -f "scripts/$installer.sh" ]; then
    bash "scripts/$installer.sh"
  fi
done
bash scripts/setup.sh
# The binaries a newcomer runs from the repository root must be linked and runnable.
npx --no-install polar-check examples
npx --no-install polar-language-server --version
npx --no-install polar-collector --help >/dev/null
npm run lint
npm test
npm run test:e2e
