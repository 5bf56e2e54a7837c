"""Background scan jobs: run in a thread, report progress, keep their summary."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from faceatlas.engines import scan
from faceatlas.store import Atlas


@dataclass
class Job:
    id: int
    paths: list[str]
    state: str = "queued"  # queued | running | done | failed
    total: int | None = None
    done: int = 0
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    summary: dict | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "state": self.state,
            "paths": self.paths,
            "total": self.total,
            "done": self.done,
            "summary": self.summary,
            "error": self.error,
        }


class JobRunner:
    """One scan at a time (they share the store); others wait their turn."""

    def __init__(self, db: Path, roots: list[Path], workers: int = 1) -> None:
        self.db, self.roots, self.workers = db, roots, workers
        self.jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def next_id(self) -> int:
        """A fresh job id (video jobs share the numbering and ``GET /v1/jobs/{id}``)."""
        return next(self._ids)

    def submit(self, paths: list[Path]) -> Job:
        job = Job(self.next_id(), [str(p) for p in paths])
        self.jobs[job.id] = job
        threading.Thread(target=self._run, args=(job, paths), daemon=True, name=f"scan-{job.id}").start()
        return job

    def _run(self, job: Job, paths: list[Path]) -> None:
        with self._lock:
            job.state = "running"
            try:
                with Atlas(self.db) as atlas:
                    summary = scan(
                        atlas,
                        paths,
                        workers=self.workers,
                        confine=self.roots,
                        on_plan=lambda n: setattr(job, "total", n),
                        progress=lambda n: setattr(job, "done", job.done + n),
                    )
                job.summary = summary.to_dict()
                job.state = "done"
            except Exception as exc:  # report, never kill the server
                job.error = f"{type(exc).__name__}: {exc}"
                job.state = "failed"
            finally:
                job.finished_at = time.time()
