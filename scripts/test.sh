#!/usr/bin/env bash
# Typecheck, then every vitest project (unit, integration, lab; lab tests skip themselves when not root).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run typecheck
npx vitest run
