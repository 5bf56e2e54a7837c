"""A face tracker between detections: motion + box overlap + appearance, matched with the Hungarian
algorithm (:func:`scipy.optimize.linear_sum_assignment`).

On a detection frame every detected face (box, landmarks, embedding, quality) is matched to the
live tracks and to the tracks lost in the last ``max_lost_s`` seconds: a live track by the overlap of
its predicted box and, when both have one, an embedding distance that does not contradict it; a
lost track (hidden behind someone, out of frame) only by appearance, so a face that comes back
after a second or two keeps its track. Between detections the caller re-fits the landmarks of each
live track in its predicted box and the tracker derives the new box from them (the landmark-to-box
offsets of the last detection). A track whose face is not detected again loses the frames it was
carried through since its last detection (they were probably someone else's face, or nothing) and
waits to be re-identified. Landmarks and boxes are smoothed by a One Euro filter per track.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from faceatlas.identity.params import FROM_SPACE, FromSpace, resolve
from faceatlas.identity.space import IdentitySpace, default_space
from faceatlas.pipeline.align import five_points
from faceatlas.types import BBox, Face
from faceatlas.video.aggregate import aggregate_embedding
from faceatlas.video.smoothing import OneEuroFilter
from faceatlas.video.tracks import FaceTrack, TrackFrame

_INVALID = 1e6


@dataclass(frozen=True)
class TrackerConfig:
    """Matching thresholds. The two appearance distances are in the identity space's units and come
    from the space (its ``tracking`` parameters; dlib: 0.5 and its 0.6 threshold) unless given."""

    iou_min: float = 0.2  # a live track and a detection overlapping less are not matched by motion
    appearance_strict: float | FromSpace = FROM_SPACE  # same face by appearance alone (re-identification)
    appearance_loose: float | FromSpace = FROM_SPACE  # overlapping boxes further apart are not matched
    max_lost_s: float = 3.0  # a lost track can be re-identified for this long
    lost_penalty: float = 0.25  # prefer live tracks over lost ones at equal cost
    max_scale_change: float = 1.35  # a carried box growing/shrinking more than this per frame stops carrying
    conflict_iou: float = 0.5  # two carried boxes overlapping more stop carrying (one face hides the other)
    min_detections: int = 2  # tracks detected fewer times are dropped (a glimpse, or a false detection)
    smooth_min_cutoff: float = 0.3  # One Euro filter (Hz), measured (README, "Video"); see faceatlas.video.smoothing
    smooth_beta: float = 4.0
    smooth: bool = True


def _arr(b: BBox) -> np.ndarray:
    return np.array([b.x1, b.y1, b.x2, b.y2], dtype=np.float64)


def _box(a: np.ndarray) -> BBox:
    return BBox(float(a[0]), float(a[1]), float(a[2]), float(a[3]))


def _points(face: Face) -> np.ndarray | None:
    pts = face.landmarks68 if face.landmarks68 is not None else face.landmarks5
    return None if pts is None else np.asarray(pts, dtype=np.float64)


def _extent(pts: np.ndarray) -> np.ndarray:
    return np.array([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()])


@dataclass
class _Live:
    """A track's working state."""

    track: FaceTrack
    box: np.ndarray  # last box (x1, y1, x2, y2), raw
    last_index: int
    last_detected: int
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # of the box centre, px per frame
    embeddings: list[np.ndarray] = field(default_factory=list)
    qualities: list[float | None] = field(default_factory=list)
    appearance: np.ndarray | None = None
    box_from_points: np.ndarray | None = None  # box offsets from the landmarks' extent, in extent sizes
    points: np.ndarray | None = None  # last raw landmarks
    lost: bool = False
    holding: bool = False  # alive but not carried until the next detection
    lm_filter: OneEuroFilter = field(default_factory=OneEuroFilter)
    box_filter: OneEuroFilter = field(default_factory=OneEuroFilter)

    def predicted(self, index: int, horizon: int) -> np.ndarray:
        """The box moved by the centre's velocity (for at most ``horizon`` frames), same size."""
        return self.box + np.tile(self.velocity * min(index - self.last_index, horizon), 2)

    def follow(self, box: np.ndarray, index: int) -> None:
        """Take ``box`` as the face's place in frame ``index`` and update the velocity."""
        centre = (box[:2] + box[2:]) / 2
        previous = (self.box[:2] + self.box[2:]) / 2
        self.velocity = 0.5 * self.velocity + 0.5 * (centre - previous) / max(index - self.last_index, 1)
        self.box, self.last_index = box, index


class Tracker:
    """Feed it frames in order: :meth:`detected` on detection frames, :meth:`carried` between them;
    :meth:`finish` returns the tracks."""

    def __init__(self, fps: float, config: TrackerConfig | None = None, space: IdentitySpace | None = None) -> None:
        self.fps = fps or 25.0
        self.space = space
        given = config or TrackerConfig()
        tracking = (space or default_space()).people.tracking
        appearance = {"appearance_strict": given.appearance_strict, "appearance_loose": given.appearance_loose}
        self.config = replace(given, **resolve(tracking, **appearance))
        self._live: list[_Live] = []
        self._done: list[_Live] = []
        self._next_id = 1
        self._detection_frames = 0
        self._horizon = max(1, round(self.fps / 2))  # extrapolate motion for at most half a second

    # ---- between detections
    def to_carry(self, index: int) -> dict[int, BBox]:
        """The predicted boxes of the live tracks to carry into frame ``index`` (track id → box)."""
        h = self._horizon
        return {lv.track.id: _box(lv.predicted(index, h)) for lv in self._live if not lv.lost and not lv.holding}

    def carried(self, index: int, t_ms: int, points: dict[int, np.ndarray]) -> None:
        """Landmarks re-fitted in frame ``index`` for the tracks :meth:`to_carry` named."""
        by_id = {lv.track.id: lv for lv in self._live}
        moved: list[tuple[_Live, np.ndarray, np.ndarray]] = []
        for tid, pts in points.items():
            lv = by_id[tid]
            if lv.box_from_points is None:
                lv.holding = True
                continue
            ext = _extent(pts)
            size = ext[2:] - ext[:2]
            box = np.concatenate([ext[:2], ext[2:]]) + np.tile(size, 2) * lv.box_from_points
            old = max(lv.box[2] - lv.box[0], 1e-6)
            ratio = (box[2] - box[0]) / old
            if not (1 / self.config.max_scale_change <= ratio <= self.config.max_scale_change):
                lv.holding = True
                continue
            moved.append((lv, box, pts))
        for i, (a, box_a, _) in enumerate(moved):  # two carried faces on one face: carry neither
            for b, box_b, _ in moved[i + 1 :]:
                if _box(box_a).iou(_box(box_b)) > self.config.conflict_iou:
                    a.holding = b.holding = True
        for lv, box, pts in moved:
            if lv.holding:
                continue
            lv.follow(box, index)
            lv.points = pts
            self._append(lv, index, t_ms, detected=False)

    # ---- detection frames
    def detected(self, index: int, t_ms: int, faces: list[Face]) -> None:
        """The faces detected (and analysed) in frame ``index``."""
        self._expire(index)
        self._detection_frames += 1
        cands = self._live
        cost = np.full((len(cands), len(faces)), _INVALID)
        for i, lv in enumerate(cands):
            for j, face in enumerate(faces):
                cost[i, j] = self._cost(lv, face, index)
        matched_tracks: set[int] = set()
        matched_faces: set[int] = set()
        if cands and faces:
            rows, cols = linear_sum_assignment(cost)
            for i, j in zip(rows, cols):
                if cost[i, j] < _INVALID:
                    self._update(cands[i], faces[j], index, t_ms)
                    matched_tracks.add(i)
                    matched_faces.add(j)
        for i, lv in enumerate(cands):
            if i not in matched_tracks and not lv.lost:
                self._lose(lv)
        for j, face in enumerate(faces):
            if j not in matched_faces:
                self._start(face, index, t_ms)

    def _cost(self, lv: _Live, face: Face, index: int) -> float:
        c = self.config
        d = None
        if lv.appearance is not None and face.embedding is not None:
            d = float(np.linalg.norm(lv.appearance - np.asarray(face.embedding, dtype=np.float64)))
        pred = _box(lv.predicted(index, self._horizon) if not lv.lost else lv.box)
        iou = pred.iou(face.bbox)
        if lv.lost:
            if d is None or d > c.appearance_strict:
                return _INVALID
            return (1 - iou) + d + c.lost_penalty
        if iou >= c.iou_min and (d is None or d <= c.appearance_loose):
            return (1 - iou) + (0.3 if d is None else d)
        if d is not None and d <= c.appearance_strict:
            size = max(pred.width, pred.height, 1.0)
            (px, py), (fx, fy) = pred.center, face.bbox.center
            if np.hypot(px - fx, py - fy) <= 2 * size:
                return 1.0 + d
        return _INVALID

    def _start(self, face: Face, index: int, t_ms: int) -> None:
        lv = _Live(FaceTrack(self._next_id), _arr(face.bbox), index, index)
        self._next_id += 1
        lv.lm_filter = OneEuroFilter(self.config.smooth_min_cutoff, self.config.smooth_beta)
        lv.box_filter = OneEuroFilter(self.config.smooth_min_cutoff, self.config.smooth_beta)
        self._live.append(lv)
        self._update(lv, face, index, t_ms, first=True)

    def _update(self, lv: _Live, face: Face, index: int, t_ms: int, first: bool = False) -> None:
        box = _arr(face.bbox)
        if lv.lost:  # back after a gap: motion and smoothing start again
            lv.velocity = np.zeros(2)
            lv.lm_filter.reset()
            lv.box_filter.reset()
            lv.box, lv.last_index = box, index
        elif not first:
            lv.follow(box, index)
        lv.last_detected = index
        lv.lost = lv.holding = False
        pts = _points(face)
        lv.points = pts
        if pts is not None:
            ext = _extent(pts)
            size = np.maximum(ext[2:] - ext[:2], 1e-6)
            lv.box_from_points = (box - ext) / np.tile(size, 2)
        if face.embedding is not None:
            lv.embeddings.append(np.asarray(face.embedding, dtype=np.float64))
            lv.qualities.append(face.quality)
            lv.appearance = aggregate_embedding(lv.embeddings[-30:], lv.qualities[-30:]).astype(np.float64)
        lv.track.detections += 1
        face.frame_ms = t_ms
        best = lv.track.best
        if best is None or (face.quality or 0.0) > (best.quality or 0.0):
            lv.track.best = face
        self._append(lv, index, t_ms, detected=True)

    def _append(self, lv: _Live, index: int, t_ms: int, detected: bool) -> None:
        t = t_ms / 1000.0
        scale = float(max(lv.box[2] - lv.box[0], 1.0))
        box, pts = lv.box, lv.points
        if self.config.smooth:
            box = lv.box_filter(box, t, scale)
            pts = None if pts is None else lv.lm_filter(pts, t, scale)
        five = None if pts is None else five_points(pts.astype(np.float32))
        lv.track.frames.append(TrackFrame(index, t_ms, _box(box), five, detected))

    def _lose(self, lv: _Live) -> None:
        lv.lost = True
        frames = lv.track.frames
        while frames and not frames[-1].detected:  # carried since the last detection: not trusted
            frames.pop()
        lv.box = _arr(frames[-1].bbox) if frames else lv.box

    def _expire(self, index: int) -> None:
        horizon = self.config.max_lost_s * self.fps
        keep = []
        for lv in self._live:
            (self._done if lv.lost and index - lv.last_detected > horizon else keep).append(lv)
        self._live = keep

    def _stitch(self, lives: list[_Live]) -> list[_Live]:
        """Join a track to an earlier one that ended before it began, within the re-identification
        window, when their aggregated embeddings agree (a face back from behind someone may be
        detected first half hidden, too unlike itself to be re-identified at once)."""
        c = self.config
        lives = sorted((lv for lv in lives if lv.track.frames), key=lambda lv: lv.track.frames[0].index)
        horizon = c.max_lost_s * self.fps
        merged = True
        while merged:
            merged = False
            pairs = []
            agg = {id(lv): aggregate_embedding(lv.embeddings, lv.qualities) for lv in lives if lv.embeddings}
            for a in lives:
                for b in lives:
                    gap = b.track.frames[0].index - a.track.frames[-1].index
                    if a is b or not a.embeddings or not b.embeddings or not 0 < gap <= horizon:
                        continue
                    d = float(np.linalg.norm(agg[id(a)] - agg[id(b)]))
                    if d <= c.appearance_strict:
                        pairs.append((d, a, b))
            if pairs:
                _, a, b = min(pairs, key=lambda p: p[0])
                a.track.frames += b.track.frames
                a.track.detections += b.track.detections
                a.embeddings += b.embeddings
                a.qualities += b.qualities
                if b.track.best is not None and (b.track.best.quality or 0.0) > (
                    (a.track.best and a.track.best.quality) or 0.0
                ):
                    a.track.best = b.track.best
                lives.remove(b)
                merged = True
        return lives

    def finish(self) -> list[FaceTrack]:
        """The tracks, numbered from 1 by first appearance, each with its aggregated embedding."""
        c = self.config
        out = []
        for lv in self._stitch(self._done + self._live):
            t = lv.track
            if not t.frames:
                continue
            if t.detections < min(c.min_detections, self._detection_frames):
                continue
            if lv.embeddings:
                t.embedding = aggregate_embedding(lv.embeddings, lv.qualities, self.space)
                t.samples = list(zip(lv.embeddings, lv.qualities))
            out.append(t)
        out.sort(key=lambda t: (t.frames[0].index, t.id))
        for k, t in enumerate(out, start=1):
            t.id = k
        return out
