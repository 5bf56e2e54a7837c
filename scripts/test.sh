#!/usr/bin/env bash
# Install faceatlas with its test tools and run the whole test suite (CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test]"
python3 -m faceatlas models install blazeface-full blazeface-short
python3 -m ruff check src tests benchmarks
python3 -m pytest "$@"
