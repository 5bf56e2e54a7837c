"""`faceatlas scan --engine ray`: detection and embedding as Ray Data batches across a cluster.

The driver plans exactly as a local scan does and commits every result into the store itself, one
transaction per image, so the end state is the same as a local scan's and an interrupted run
resumes the same way. Workers need faceatlas (and the models) installed; they read the image files
by path, so every node must see the photos at the same paths (a shared or synced folder).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

from faceatlas.engines.plan import WorkItem
from faceatlas.engines.worker import WorkResult, analyze_item, init_worker
from faceatlas.pipeline import AnalyzerConfig


class _Analyse:
    """A Ray Data actor: models load once per actor, then each batch of paths is analysed."""

    def __init__(self, config: AnalyzerConfig) -> None:
        init_worker(config)

    def __call__(self, batch: dict) -> dict:
        out = []
        for path, size, mtime in zip(batch["path"], batch["size"], batch["mtime_ns"]):
            res = analyze_item(WorkItem(str(path), int(size), int(mtime)))
            out.append(pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL))
        return {"result": out}


def ray_runner(address: str | None = None, batch_size: int = 4):
    """An engine for :func:`faceatlas.engines.scan.scan` that runs on Ray (``address``: an existing
    cluster, e.g. ``ray://head:10001`` or ``auto``; None starts or joins a local one)."""

    def run(items: list[WorkItem], config: AnalyzerConfig, workers: int) -> Iterator[WorkResult]:
        import ray

        if not items:
            return
        started_here = False
        if not ray.is_initialized():
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
            started_here = True
        try:
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
            data = ray.data.from_items([{"path": i.path, "size": i.size, "mtime_ns": i.mtime_ns} for i in items])
            results = data.map_batches(
                _Analyse,
                fn_constructor_kwargs={"config": config},
                batch_size=batch_size,
                concurrency=min(cpus, max(1, len(items) // batch_size)),
                num_cpus=1,
            )
            for row in results.iter_rows():
                yield pickle.loads(row["result"])
        finally:
            if started_here:
                ray.shutdown()

    return run
