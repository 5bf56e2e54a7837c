#!/usr/bin/env bash
# Install faceatlas and run the main job on the sample faces (or on the folders given).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e .
python3 -m faceatlas models install default
python3 -m faceatlas scan "$@"
