#!/usr/bin/env bash
# The one start command (README): prepares the machine, builds, and runs the five services in the foreground.
# Without TELEGRAM_BOT_TOKEN it runs against local fake Telegram and KIE.AI servers (sandbox mode).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
pnpm build
exec node scripts/start-system.mjs
