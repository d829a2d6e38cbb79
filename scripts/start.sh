#!/usr/bin/env bash
# The main job on a fresh machine: set up, then check the example policies with polar-check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
exec npx --no-install polar-check --stats "${@:-examples}"
