"""Detector recall/precision/speed on the labelled group photos of ../shared/data.

Ground truth: dlib's hand-labelled boxes (``dlib_faces/*.xml``: a detection matches a box when its
centre lies in the box and the sizes differ by less than 2x), CompreFace's nose points
(``compreface/noses.csv``: a detection is right when its box holds exactly one nose point), and the
single-face portraits of ``deepface/`` (image found when at least one face is detected).
"""

from __future__ import annotations

import csv
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from faceatlas.eval import variants
from faceatlas.io import open_image
from faceatlas.pipeline.detect import DetectorConfig, detect_faces
from faceatlas.types import BBox, Detection


@dataclass
class GroundTruth:
    path: Path
    boxes: list[BBox] = field(default_factory=list)
    noses: list[tuple[float, float]] = field(default_factory=list)
    portrait: bool = False  # one main face, no exact annotation


def load_ground_truth(data_root: Path) -> list[GroundTruth]:
    """Every annotated image under ``data_root`` (the ``../shared/data`` folder)."""
    items: list[GroundTruth] = []
    dlib_dir = data_root / "detection" / "dlib_faces"
    for xml_name in ("training.xml", "testing.xml"):
        xml = dlib_dir / xml_name
        if not xml.is_file():
            continue
        for node in ET.parse(xml).getroot().iter("image"):
            boxes = []
            for b in node.iter("box"):
                if b.get("ignore") == "1":
                    continue
                x, y, w, h = (float(b.get(k)) for k in ("left", "top", "width", "height"))
                boxes.append(BBox(x, y, x + w, y + h))
            items.append(GroundTruth(dlib_dir / node.get("file"), boxes=boxes))
    cf = data_root / "detection" / "compreface"
    if (cf / "noses.csv").is_file():
        noses: dict[str, list[tuple[float, float]]] = {}
        with (cf / "noses.csv").open() as fh:
            for row in csv.DictReader(fh):
                if not row["nose_x"]:
                    noses.setdefault(row["image"], [])
                    continue
                noses.setdefault(row["image"], []).append((float(row["nose_x"]), float(row["nose_y"])))
        for img in sorted(cf.glob("*.jpg")):
            items.append(GroundTruth(img, noses=noses.get(img.name, [])))
    ids = data_root / "deepface" / "identities.csv"
    if ids.is_file():
        with ids.open() as fh:
            for row in csv.DictReader(fh):
                items.append(GroundTruth(data_root / "deepface" / row["file"], portrait=True))
    return items


@dataclass
class DetectionScore:
    config: str
    faces: int = 0
    found: int = 0
    false_positives: int = 0
    portraits: int = 0
    portraits_found: int = 0
    seconds: float = 0.0
    images: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.faces if self.faces else 0.0

    @property
    def precision(self) -> float:
        total = self.found + self.false_positives
        return self.found / total if total else 0.0

    @property
    def portrait_recall(self) -> float:
        return self.portraits_found / self.portraits if self.portraits else 0.0

    @property
    def ms_per_image(self) -> float:
        return 1000 * self.seconds / self.images if self.images else 0.0

    def to_dict(self) -> dict:
        return {
            "config": self.config,
            "group_faces": self.faces,
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "portrait_recall": round(self.portrait_recall, 4),
            "ms_per_image": round(self.ms_per_image, 1),
        }


def match_boxes(dets: list[Detection], gt: GroundTruth) -> tuple[int, int]:
    """(true positives, false positives) of ``dets`` against one image's annotation."""
    used: set[int] = set()
    tp = 0
    for d in dets:
        cx, cy = d.bbox.center
        hit = None
        if gt.boxes:
            for i, b in enumerate(gt.boxes):
                ratio = d.bbox.width / max(b.width, 1)
                if i not in used and b.x1 <= cx <= b.x2 and b.y1 <= cy <= b.y2 and 0.5 < ratio < 2.0:
                    hit = i
                    break
        else:
            inside = [
                i for i, (x, y) in enumerate(gt.noses) if d.bbox.x1 <= x <= d.bbox.x2 and d.bbox.y1 <= y <= d.bbox.y2
            ]
            if len(inside) == 1 and inside[0] not in used:
                hit = inside[0]
        if hit is None:
            continue
        used.add(hit)
        tp += 1
    return tp, len(dets) - tp


def evaluate_detector(
    items: list[GroundTruth], config: DetectorConfig, label: str, grayscale: bool = False
) -> DetectionScore:
    """Score one detector setting (on grey copies of the photos with ``grayscale``)."""
    score = DetectionScore(label)
    for gt in items:
        image = variants.grayscale(gt.path) if grayscale else open_image(gt.path)
        start = time.perf_counter()
        result = detect_faces(image, config)
        score.seconds += time.perf_counter() - start
        score.images += 1
        dets = result.upright()
        if gt.portrait:
            score.portraits += 1
            score.portraits_found += bool(dets)
            continue
        tp, fp = match_boxes(dets, gt)
        score.faces += len(gt.boxes) or len(gt.noses)
        score.found += tp
        score.false_positives += fp
    return score


def standard_configs() -> dict[str, DetectorConfig]:
    """The detector settings compared in the README."""
    return {
        "dlib-hog@1024": DetectorConfig("dlib-hog", max_side=1024, tiles=1, rotate_retry=False),
        "dlib-hog@1024x2": DetectorConfig("dlib-hog", max_side=1024, upsample=2.0, tiles=1, rotate_retry=False),
        "blazeface-short": DetectorConfig("blazeface-short", max_side=1024, tiles=1, rotate_retry=False),
        "blazeface-full": DetectorConfig("blazeface-full", max_side=1024, tiles=1, rotate_retry=False),
        "blazeface-full+tiles2": DetectorConfig("blazeface-full", max_side=1024, tiles=2, rotate_retry=False),
        "blazeface-full+tiles3": DetectorConfig("blazeface-full", max_side=1024, tiles=3, rotate_retry=False),
        "dlib-mmod@640": DetectorConfig("dlib-mmod", max_side=640, tiles=1, rotate_retry=False),
    }


def run(data_root: Path, names: list[str] | None = None, grayscale: bool = False) -> list[DetectionScore]:
    items = load_ground_truth(data_root)
    configs = standard_configs()
    return [evaluate_detector(items, configs[n], n, grayscale) for n in (names or list(configs))]
