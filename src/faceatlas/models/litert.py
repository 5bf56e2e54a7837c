"""Running TFLite models with Google's LiteRT interpreter (ai-edge-litert), thread-safely."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np


class LiteRTModel:
    """A TFLite model with one float input; ``run`` returns every output by position."""

    def __init__(self, path: Path, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

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
