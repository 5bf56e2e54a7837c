"""Running CPU-heavy work (face analysis) off the event loop, a bounded number at a time, with a
timeout, so the server stays responsive however many clients pile on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from faceatlas.service.errors import ApiError

T = TypeVar("T")


class HeavyGate:
    def __init__(self, concurrency: int, queue: int, timeout_s: float) -> None:
        self._sem = asyncio.Semaphore(max(1, concurrency))
        self._waiting = 0
        self._queue = queue
        self._timeout = timeout_s

    async def run(self, fn: Callable[..., T], *args) -> T:
        if self._waiting >= self._queue:
            raise ApiError(503, "busy", "too many heavy requests waiting; retry shortly")
        self._waiting += 1
        try:
            try:
                await asyncio.wait_for(self._sem.acquire(), timeout=self._timeout)
            except TimeoutError:
                raise ApiError(503, "busy", "timed out waiting for a free worker") from None
        finally:
            self._waiting -= 1
        try:
            return await asyncio.wait_for(run_in_threadpool(fn, *args), timeout=self._timeout)
        except TimeoutError:
            raise ApiError(504, "timeout", f"request took longer than {self._timeout:.0f} s") from None
        finally:
            self._sem.release()
