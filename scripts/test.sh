#!/usr/bin/env bash
# Typecheck, then every vitest project (unit, integration, lab; lab tests skip themselves when not root).
# Ends with one "N passed, N failed, N skipped" line, the summary CI reads.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run typecheck
mkdir -p build
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=build/test-results.json || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/test-results.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
