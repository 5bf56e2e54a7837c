"""Scale: vector search over 1M synthetic faces and clustering 10k/100k faces.

    python benchmarks/bench_scale.py [--search-n 1000000] [--cluster-n 10000 100000] [--queries 2000]

Search: index build time, index memory, single-query latency p50/p99 (one query at a time, as a
user's search is), recall@1 against exact search on the same data. Clustering: FaceClusterer time,
peak RSS growth, and BCubed F against the synthetic identities.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import degrade, synthetic_faces  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def bench_search(n: int, queries: int, nprobes: list[int]) -> None:
    import faiss

    from faceatlas.index.knn import build_faiss

    x, _ = synthetic_faces(n, seed=1)
    rng = np.random.default_rng(2)
    # queries: new photos of known people (a face's identity centre region, not the stored vector)
    q = x[rng.choice(n, queries, replace=False)] + rng.normal(0, 0.025, (queries, x.shape[1])).astype(np.float32)
    before = rss_mb()
    t0 = time.perf_counter()
    index = build_faiss(x)
    build_s = time.perf_counter() - t0
    index_mb = rss_mb() - before
    exact = faiss.IndexFlatL2(x.shape[1])
    exact.add(x)
    _, truth = exact.search(q, 1)
    print(f"search n={n:,} index={type(index).__name__}: build {build_s:.1f} s, index memory ~{index_mb:.0f} MB")
    for nprobe in nprobes or [getattr(index, "nprobe", 0)]:
        if hasattr(index, "nprobe") and nprobe:
            index.nprobe = nprobe
        lat = []
        found = np.empty(queries, dtype=np.int64)
        for i in range(queries):
            t = time.perf_counter()
            _, idx = index.search(q[i : i + 1], 10)
            lat.append((time.perf_counter() - t) * 1000)
            found[i] = idx[0, 0]
        recall = float((found == truth[:, 0]).mean())
        p50, p99 = np.percentile(lat, [50, 99])
        probe = getattr(index, "nprobe", "-")
        print(f"  nprobe={probe}: latency p50 {p50:.2f} ms, p99 {p99:.2f} ms, recall@1 {recall:.4f}")


def bench_cluster(n: int, poor: float) -> None:
    from faceatlas.eval.clusters import score
    from faceatlas.people import FaceClusterer

    x, y = synthetic_faces(n, seed=3)
    x, quality = degrade(x, poor, seed=4)
    before = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    labels = FaceClusterer().fit_predict(x, quality=quality)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = score("faceatlas", y, labels)
    print(
        f"cluster n={n:,} ({poor:.0%} poor faces): {secs:.1f} s (CPU {cpu:.1f} s, all threads), "
        f"RSS before {before:.0f} MB, peak {peak:.0f} MB, "
        f"BCubed F {s.bcubed_f:.4f} (P {s.bcubed_precision:.4f} R {s.bcubed_recall:.4f}), "
        f"{s.clusters:,} people for {s.identities:,} identities, {s.unassigned:,} unassigned"
    )


def bench_identify(n: int, labelled: float = 0.1) -> None:
    """Few labels → everyone (the review queue's engine) at scale: a share of faces labelled."""
    from faceatlas.people.identify import identify, question_order

    x, y = synthetic_faces(n, seed=5)
    rng = np.random.default_rng(6)
    labels = np.where(rng.random(n) < labelled, y, -1)
    t0 = time.perf_counter()
    pred, conf = identify(x, labels)
    order = question_order(x, labels, confidence=conf)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rest = labels < 0
    answered = pred[rest] >= 0
    acc = float((pred[rest][answered] == y[rest][answered]).mean()) if answered.any() else float("nan")
    print(
        f"identify n={n:,} ({labelled:.0%} labelled): {secs:.1f} s with the question order, peak RSS {peak:.0f} MB; "
        f"{answered.mean():.1%} of unlabelled faces named, {acc:.4f} of them right; {len(order):,} questions ranked"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--search-n", type=int, nargs="*", default=[1_000_000])
    ap.add_argument("--cluster-n", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--identify-n", type=int, nargs="*", default=[100_000])
    ap.add_argument("--poor", type=float, nargs="*", default=[0.0, 0.3], help="fractions of poor faces")
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--nprobe", type=int, nargs="*", default=[], help="IVF lists probed (default: the index's)")
    args = ap.parse_args()
    for n in args.cluster_n:
        for poor in args.poor:
            bench_cluster(n, poor)
    for n in args.identify_n:
        bench_identify(n)
    for n in args.search_n:
        bench_search(n, args.queries, args.nprobe)


if __name__ == "__main__":
    main()
