#!/usr/bin/env bash
# The one start command (README): prepares the machine, builds, and runs the five services in the foreground.
# Without TELEGRAM_BOT_TOKEN it runs in sandbox mode: fake Telegram, KIE.AI and OpenAI servers and a chat page
# at http://127.0.0.1:8080 (docs/sandbox.md).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
pnpm build
exec node scripts/start-system.mjs
