#!/usr/bin/env bash
# The one command that sets up and runs every test: install, build, lint + format check, all test suites.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ -x scripts/install-editors.sh ] || [ -f scripts/install-editors.sh ]; then
  bash scripts/install-editors.sh
fi
npm run lint
npx tsc -b tsconfig.build.json
npm test
