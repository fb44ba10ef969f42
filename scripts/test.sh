#!/usr/bin/env bash
# The one test command (README): prepares the machine, then lint, build, typecheck and every test tier
# against the real PostgreSQL and NATS JetStream. Extra arguments go to vitest (e.g. `npm test -- --project unit`).
set -euo pipefail
cd "$(dirname "$0")/.."

SETUP_BROWSER=yes bash scripts/setup.sh
pnpm lint
pnpm build
pnpm typecheck

mkdir -p test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
node scripts/summarize-tests.mjs test-results/vitest.json || status=${status:-1}
exit "$status"
