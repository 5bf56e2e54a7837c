"""Running TFLite models with Google's LiteRT interpreter (ai-edge-litert), thread-safely."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence the C++ runtime's one-line banner ("Created TensorFlow Lite XNNPACK delegate") that no
    environment variable turns off; Python-level errors still propagate normally."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (embedded, captured): nothing to do
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


class LiteRTModel:
    """A TFLite model with one float input; ``run`` returns every output by position."""

    def __init__(self, path: Path, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        with _quiet_native_stderr():
            self._interp = Interpreter(model_path=str(path), num_threads=num_threads)
            self._interp.allocate_tensors()
        self._input = self._interp.get_input_details()[0]
        self._outputs = [d["index"] for d in self._interp.get_output_details()]
        self.input_hw = (int(self._input["shape"][1]), int(self._input["shape"][2]))
        self._lock = threading.Lock()

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            self._interp.set_tensor(self._input["index"], tensor.astype(np.float32, copy=False))
            self._interp.invoke()
            return [self._interp.get_tensor(i).copy() for i in self._outputs]
