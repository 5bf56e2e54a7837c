"""Running CPU-heavy work (face analysis) off the event loop, a bounded number at a time, with a
timeout, so the server stays responsive however many clients pile on.

Analysis runs in a pool of worker processes (one per core by default, models loaded once each):
dlib's landmark and alignment code holds the GIL, so threads alone would use one core. With
``processes=0`` it runs in threads of the server process instead (tests, tiny machines).

A worker that dies (the OOM killer, ``kill -9``) breaks a ``ProcessPoolExecutor`` for good; the gate
notices (on the failed request, or when ``/healthz`` asks), answers that request 503 ``worker_lost``,
and starts a fresh pool for the next one. Workers die with the server (``PR_SET_PDEATHSIG``), and
``close`` terminates them, so a stopped server leaves no worker behind.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from faceatlas.io.images import ImageLimits, open_image
from faceatlas.service.errors import ApiError
from faceatlas.types import Face

T = TypeVar("T")
_WORKER_ANALYZER = None
log = logging.getLogger(__name__)


def _init_worker(config) -> None:
    """One analyzer per worker process, configured as the server's (embedder, heads, detector)."""
    global _WORKER_ANALYZER
    from dataclasses import replace

    from faceatlas.engines.lifetime import die_with_parent

    die_with_parent()
    from faceatlas.pipeline import FaceAnalyzer

    _WORKER_ANALYZER = FaceAnalyzer(replace(config, threads=1))  # one intra-op thread: one worker per core


def _analyze_in_worker(data: bytes, limits: ImageLimits, name: str, heads: bool = True) -> list[Face]:
    assert _WORKER_ANALYZER is not None
    return _WORKER_ANALYZER.analyze(open_image(data, limits, name=name), heads=heads)


class HeavyGate:
    def __init__(self, concurrency: int, queue: int, timeout_s: float, processes: int = 0) -> None:
        self._sem = asyncio.Semaphore(max(1, concurrency))
        self._waiting = 0
        self._queue = queue
        self._timeout = timeout_s
        self._processes = processes
        self._pool: ProcessPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.restarts = 0  # pools replaced after a worker died

    async def _slot(self) -> None:
        if self._waiting >= self._queue:
            raise ApiError(503, "busy", "too many heavy requests waiting; retry shortly")
        self._waiting += 1
        try:
            await asyncio.wait_for(self._sem.acquire(), timeout=self._timeout)
        except TimeoutError:
            raise ApiError(503, "busy", "timed out waiting for a free worker") from None
        finally:
            self._waiting -= 1

    async def run(self, fn: Callable[..., T], *args) -> T:
        """``fn(*args)`` in a thread of this process."""
        await self._slot()
        try:
            return await asyncio.wait_for(run_in_threadpool(fn, *args), timeout=self._timeout)
        except TimeoutError:
            raise ApiError(504, "timeout", f"request took longer than {self._timeout:.0f} s") from None
        finally:
            self._sem.release()

    async def analyze(self, analyzer, data: bytes, limits: ImageLimits, name: str, heads: bool = True) -> list[Face]:
        """Faces of an uploaded image: in the worker processes, or with ``analyzer`` in a thread
        (``heads=False``: identity only, no attribute heads)."""
        if not self._processes:
            return await self.run(lambda: analyzer.analyze(open_image(data, limits, name=name), heads=heads))
        await self._slot()
        try:
            pool = self._ensure_pool(analyzer.config)
            try:
                future = pool.submit(_analyze_in_worker, data, limits, name, heads)
                return await asyncio.wait_for(asyncio.wrap_future(future), timeout=self._timeout)
            except BrokenProcessPool:
                self._discard(pool)
                raise ApiError(
                    503, "worker_lost", "an analysis worker died (out of memory?); it was replaced: retry"
                ) from None
        except TimeoutError:
            raise ApiError(504, "timeout", f"request took longer than {self._timeout:.0f} s") from None
        finally:
            self._sem.release()

    def _ensure_pool(self, config) -> ProcessPoolExecutor:
        """The worker pool, started on first use with the server's analyzer configuration."""
        with self._pool_lock:
            if self._pool is None:
                import multiprocessing as mp

                self._pool = ProcessPoolExecutor(
                    self._processes, mp.get_context("spawn"), initializer=_init_worker, initargs=(config,)
                )
            return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Drop a broken pool (once, however many requests saw it break); the next request starts a new one."""
        with self._pool_lock:
            if self._pool is not pool:
                return
            self._pool = None
            self.restarts += 1
        log.warning("an analysis worker died; starting a new pool (restart %d)", self.restarts)
        threading.Thread(target=_terminate, args=(pool,), daemon=True, name="pool-reaper").start()  # off the loop

    def health(self) -> dict[str, Any]:
        """The workers' state for ``/healthz``; a pool with a dead worker is replaced here too, so the
        service is healthy again before the next request rather than failing it."""
        pool = self._pool
        if pool is not None and (getattr(pool, "_broken", False) or _dead_workers(pool)):
            self._discard(pool)
            pool = None
        alive = 0 if pool is None else len(getattr(pool, "_processes", None) or {}) - _dead_workers(pool)
        return {
            "mode": "processes" if self._processes else "threads",
            "processes": self._processes,
            "alive": alive,
            "restarts": self.restarts,
        }

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            _terminate(pool)


def _dead_workers(pool: ProcessPoolExecutor) -> int:
    procs = dict(getattr(pool, "_processes", None) or {})
    return sum(1 for p in procs.values() if p.exitcode is not None)


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what waits, terminate the workers (a stuck one would outlive us)."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.exitcode is None:
            p.terminate()
    for p in procs:
        p.join(timeout=2)
        if p.exitcode is None:
            p.kill()
