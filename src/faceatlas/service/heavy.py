"""Running CPU-heavy work (face analysis) off the event loop, a bounded number at a time, with a
timeout, so the server stays responsive however many clients pile on.

Analysis runs in a pool of worker processes (one per core by default, models loaded once each):
dlib's landmark and alignment code holds the GIL, so threads alone would use one core. With
``processes=0`` it runs in threads of the server process instead (tests, tiny machines).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from faceatlas.io.images import ImageLimits, open_image
from faceatlas.service.errors import ApiError
from faceatlas.types import Face

T = TypeVar("T")
_WORKER_ANALYZER = None


def _init_worker(config) -> None:
    """One analyzer per worker process, configured as the server's (embedder, heads, detector)."""
    global _WORKER_ANALYZER
    import os

    os.environ["FACEATLAS_THREADS"] = "1"
    from faceatlas.pipeline import FaceAnalyzer

    _WORKER_ANALYZER = FaceAnalyzer(config)


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
        self._pool: Executor | None = None

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
            if self._pool is None:
                import multiprocessing as mp

                self._pool = ProcessPoolExecutor(
                    self._processes, mp.get_context("spawn"), initializer=_init_worker, initargs=(analyzer.config,)
                )
            future = self._pool.submit(_analyze_in_worker, data, limits, name, heads)
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout=self._timeout)
        except TimeoutError:
            raise ApiError(504, "timeout", f"request took longer than {self._timeout:.0f} s") from None
        finally:
            self._sem.release()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
