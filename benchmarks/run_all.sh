#!/usr/bin/env bash
# Every benchmark, one after the other (about 20 minutes on a 2-core machine). Needs the bench
# extra for the face_recognition peer: pip install -e ".[bench]" (installs face_recognition without
# its dlib requirement: dlib-bin already provides the module).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import face_recognition" 2>/dev/null || python3 -m pip install -q --no-deps face-recognition==1.3.0 psutil
echo "== embedding: dlib vs ONNX port"; python3 benchmarks/bench_embedding.py
echo "== end to end vs face_recognition"; python3 benchmarks/bench_pipeline.py "$@"
echo "== scale: search 1M, clustering 10k/100k/1M"; python3 benchmarks/bench_scale.py --cluster-n 10000 100000 1000000
echo "== video: speed, jitter, crossing clips, aggregation, Hamilton"; python3 benchmarks/bench_video.py
