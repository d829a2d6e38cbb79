#!/usr/bin/env bash
# The one command that sets up and runs every test: the system packages the real-part tests need
# (Neovim + Emacs eglot, PostgreSQL, ClickHouse, Chromium, code-server), npm install, build, the self-contained
# check, lint + format, type-check of sources and tests, every vitest project, and the VS Code
# end-to-end run. Every stage runs even after one fails (a failing lint must not hide a failing
# e2e); a summary table of the stages is printed at the end and the exit status is non-zero if any
# stage failed. CI runs exactly this (.ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .artifacts

STAGES=()
RESULTS=()
SECONDS_TAKEN=()
DETAILS=()

# stage NAME COMMAND…: runs one stage, records its status and duration.
stage() {
  local name="$1"
  shift
  echo
  echo "==> [$name] $*"
  local start=$SECONDS
  "$@"
  local status=$?
  STAGES+=("$name")
  SECONDS_TAKEN+=($((SECONDS - start)))
  if [ "$status" -eq 0 ]; then RESULTS+=("pass"); else RESULTS+=("FAIL ($status)"); fi
  DETAILS+=("${STAGE_DETAIL:-}")
  STAGE_DETAIL=""
  return 0
}

# vitest_project NAME: one vitest project, with its test count read from the JSON report.
vitest_project() {
  local project="$1"
  local report=".artifacts/vitest-$project.json"
  rm -f "$report"
  npx --no-install vitest run --project "$project" --reporter=default --reporter=json --outputFile="$report"
  local status=$?
  if [ -f "$report" ]; then
    STAGE_DETAIL=$(node -e '
      const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const files = r.testResults.length;
      console.log(`${r.numPassedTests}/${r.numTotalTests} tests passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped, ${files} files`);
    ' "$report")
  else
    STAGE_DETAIL="no report"
  fi
  return $status
}

for installer in install-editors install-postgres install-clickhouse install-chromium install-code-server; do
  stage "$installer" bash "scripts/$installer.sh"
done
stage "setup (npm ci, build)" bash scripts/setup.sh
stage "self-contained" node scripts/check-self-contained.mjs
# The binaries a newcomer runs from the repository root must be linked and runnable.
stage "binaries" bash -c 'npx --no-install polar-check examples &&
  npx --no-install polar-format --check examples &&
  npx --no-install polar-language-server --version &&
  npx --no-install polar-collector --help >/dev/null'
stage "eslint" npx --no-install eslint .
stage "prettier" npx --no-install prettier --check .
stage "type-check tests" npm run --silent typecheck
for project in analyzer cli language-server telemetry collector vscode-extension; do
  stage "vitest $project" vitest_project "$project"
done
stage "e2e (VS Code in code-server)" npm run test:e2e

echo
echo "Summary"
printf '%-32s %-10s %6s  %s\n' "stage" "result" "time" "detail"
failed=0
for i in "${!STAGES[@]}"; do
  printf '%-32s %-10s %5ss  %s\n' "${STAGES[$i]}" "${RESULTS[$i]}" "${SECONDS_TAKEN[$i]}" "${DETAILS[$i]}"
  if [ "${RESULTS[$i]}" != "pass" ]; then failed=$((failed + 1)); fi
done
if [ "$failed" -gt 0 ]; then
  echo "$failed stage(s) failed"
  exit 1
fi
echo "all ${#STAGES[@]} stages passed"
