"""Synthetic clips with known ground truth, for the tracker's tests and benchmarks: face patches
cut from real photos moving over a seeded background, drawn back to front (a nearer face hides a
farther one), with per-frame sensor noise; and the identity metrics scored against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from faceatlas.types import BBox
from faceatlas.video.tracks import FaceTrack


def face_patch(rgb: np.ndarray, box: BBox, side: int, margin: float = 2.0) -> np.ndarray:
    """A ``side`` px square RGB patch centred on the face ``box``, ``margin`` times its size (the face
    then covers the middle 1/margin of the patch); the photo is edge-padded where the crop leaves it."""
    import cv2

    cx, cy = box.center
    half = max(box.width, box.height) * margin / 2
    pad = int(half) + 2
    padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0, y0 = int(round(cx - half)) + pad, int(round(cy - half)) + pad
    crop = padded[y0 : y0 + int(2 * half), x0 : x0 + int(2 * half)]
    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)


@dataclass
class Mover:
    """A face patch moving in a straight line: ``start`` is its centre at t=0 (px), ``velocity`` in
    px per second; larger ``depth`` is nearer (drawn later)."""

    patch: np.ndarray
    start: tuple[float, float]
    velocity: tuple[float, float] = (0.0, 0.0)
    depth: int = 0
    margin: float = 2.0  # the patch's margin around the face (see face_patch)

    def centre(self, t: float) -> tuple[float, float]:
        return self.start[0] + self.velocity[0] * t, self.start[1] + self.velocity[1] * t

    def face_box(self, t: float) -> BBox:
        cx, cy = self.centre(t)
        h = self.patch.shape[0] / self.margin / 2
        return BBox(cx - h, cy - h, cx + h, cy + h)


@dataclass
class Truth:
    """Per frame, per mover: the face box and the fraction of it that is visible."""

    fps: float
    boxes: list[list[BBox]] = field(default_factory=list)
    visible: list[list[float]] = field(default_factory=list)


def _mask(side: int) -> np.ndarray:
    """A soft ellipse (1 inside, feathered edge): a head, not a square sticker."""
    import cv2

    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    r = ((xx - side / 2) / (side * 0.46)) ** 2 + ((yy - side / 2) / (side * 0.5)) ** 2
    return cv2.GaussianBlur(np.clip((1.0 - r) * 6, 0, 1), (0, 0), side / 60)


def background(size: tuple[int, int], seed: int) -> np.ndarray:
    """A seeded, smooth, coloured texture (like an out-of-focus room)."""
    import cv2

    rng = np.random.default_rng(seed)
    w, h = size
    small = rng.uniform(40, 200, size=(max(2, h // 40), max(2, w // 40), 3)).astype(np.float32)
    return cv2.GaussianBlur(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), (0, 0), 6)


def render_clip(
    path: str | Path,
    movers: list[Mover],
    size: tuple[int, int] = (640, 360),
    fps: float = 25.0,
    seconds: float = 4.0,
    seed: int = 0,
    noise: float = 3.0,
    fourcc: str = "MJPG",
    blur: float = 0.0,
) -> Truth:
    """Write the clip to ``path`` and return its ground truth; each frame gets Gaussian noise of
    std ``noise`` and, with ``blur``, a Gaussian blur of sigma drawn in [0, blur] (focus and motion
    blur that vary from frame to frame)."""
    import cv2

    rng = np.random.default_rng(seed)
    bg = background(size, seed)
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path} with {fourcc}")
    truth = Truth(fps)
    masks = {id(m): _mask(m.patch.shape[0]) for m in movers}
    order = sorted(movers, key=lambda m: m.depth)
    try:
        for k in range(int(round(seconds * fps))):
            t = k / fps
            frame = bg.copy()
            cover = np.zeros((h, w), np.float32)  # what nearer faces cover, filled front to back below
            coverage: dict[int, float] = {}
            for m in reversed(order):  # nearest first: measure how much of each face is hidden
                fb = m.face_box(t)
                x1, y1 = max(0, int(fb.x1)), max(0, int(fb.y1))
                x2, y2 = min(w, int(fb.x2)), min(h, int(fb.y2))
                area = max(1.0, fb.area)
                inside = max(0, x2 - x1) * max(0, y2 - y1)
                hidden = float(cover[y1:y2, x1:x2].sum()) if inside else 0.0
                coverage[id(m)] = max(0.0, (inside - hidden) / area)
                _paste(cover[..., None], np.ones_like(masks[id(m)])[..., None], masks[id(m)], m.centre(t), True)
            for m in order:  # then draw back to front
                _paste(frame, m.patch.astype(np.float32), masks[id(m)], m.centre(t))
            if blur > 0:
                frame = cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(0.01, blur)))
            frame += rng.normal(0, noise, frame.shape).astype(np.float32)
            writer.write(cv2.cvtColor(np.clip(frame, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
            truth.boxes.append([m.face_box(t) for m in movers])
            truth.visible.append([coverage[id(m)] for m in movers])
    finally:
        writer.release()
    return truth


def _paste(
    dst: np.ndarray, src: np.ndarray, mask: np.ndarray, centre: tuple[float, float], cover: bool = False
) -> None:
    side = src.shape[0]
    x0, y0 = int(round(centre[0] - side / 2)), int(round(centre[1] - side / 2))
    h, w = dst.shape[:2]
    sx1, sy1 = max(0, -x0), max(0, -y0)
    dx1, dy1 = max(0, x0), max(0, y0)
    dx2, dy2 = min(w, x0 + side), min(h, y0 + side)
    if dx2 <= dx1 or dy2 <= dy1:
        return
    m = mask[sy1 : sy1 + dy2 - dy1, sx1 : sx1 + dx2 - dx1][..., None]
    s = src[sy1 : sy1 + dy2 - dy1, sx1 : sx1 + dx2 - dx1]
    region = dst[dy1:dy2, dx1:dx2]
    if cover:
        region[...] = np.maximum(region, (m > 0.5).astype(np.float32))
    else:
        region[...] = m * s + (1 - m) * region


def crossing_movers(patch_far: np.ndarray, patch_near: np.ndarray, size: tuple[int, int] = (640, 360)) -> list[Mover]:
    """Two faces crossing (4 s): the far one walks left to right behind the near one, which walks
    the other way; they meet at 2.3 s, when the near head hides the far face for about a second
    (with the patch sizes of the benchmarks: near 1.6x the far one)."""
    w, h = size
    return [
        Mover(patch_far, (0.15 * w, 0.45 * h), (0.13 * w, 0.0), depth=0),
        Mover(patch_near, (0.75 * w, 0.5 * h), (-0.13 * w, 0.0), depth=1),
    ]


@dataclass(frozen=True)
class IdentityScore:
    """How tracks follow the ground-truth faces: identity switches (a person's matched track id
    changes), tracks (output tracks), persons, and the fraction of visible face-frames covered."""

    switches: int
    tracks: int
    persons: int
    coverage: float
    tracks_per_person: list[int]

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def identity_score(tracks: list[FaceTrack], truth: Truth, min_visible: float = 0.5, iou: float = 0.3) -> IdentityScore:
    """Match each frame's track boxes to the visible ground-truth faces (Hungarian on IoU)."""
    by_frame: dict[int, list[tuple[int, BBox]]] = {}
    for t in tracks:
        for f in t.frames:
            by_frame.setdefault(f.index, []).append((t.id, f.bbox))
    persons = len(truth.boxes[0]) if truth.boxes else 0
    last: list[int | None] = [None] * persons
    seen: list[set[int]] = [set() for _ in range(persons)]
    switches = covered = visible_total = 0
    for k, (boxes, vis) in enumerate(zip(truth.boxes, truth.visible)):
        people = [p for p in range(persons) if vis[p] >= min_visible]
        visible_total += len(people)
        found = by_frame.get(k, [])
        if not people or not found:
            continue
        cost = np.array([[1 - boxes[p].iou(b) for _, b in found] for p in people])
        for r, c in zip(*linear_sum_assignment(cost)):
            if cost[r, c] <= 1 - iou:
                p, tid = people[r], found[c][0]
                covered += 1
                if last[p] is not None and last[p] != tid:
                    switches += 1
                last[p] = tid
                seen[p].add(tid)
    return IdentityScore(
        switches, len(tracks), persons, round(covered / max(visible_total, 1), 4), [len(s) for s in seen]
    )
