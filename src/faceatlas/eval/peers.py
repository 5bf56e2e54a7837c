"""The peer every figure stands beside: face_recognition 1.3.0 (dlib HOG detector upsampled once,
dlib's shape predictors, dlib's ResNet descriptor), run on the same photos in the same process.

face_recognition is an optional benchmark dependency (``pip install --no-deps face-recognition==1.3.0``;
dlib-bin provides its dlib). Its embeddings are cached on disk like faceatlas's.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np

from faceatlas.eval.cache import cache_root, photo_ident, write_entry

PEER = "face_recognition-1.3.0"


def available() -> bool:
    try:
        import face_recognition  # noqa: F401
    except ImportError:
        return False
    return True


def _require():
    try:
        import face_recognition
    except ImportError:
        raise RuntimeError(
            "the face_recognition peer is not installed: pip install --no-deps face-recognition==1.3.0"
        ) from None
    return face_recognition


def five_points(rgb: np.ndarray) -> list[np.ndarray]:
    """face_recognition's faces in ``rgb`` (HOG, upsampled once; 68 points) as the five points faceatlas
    reports: eye centres (mean of each eye's six points), nose tip, mouth corners."""
    fr = _require()
    locations = fr.face_locations(rgb, number_of_times_to_upsample=1)
    out = []
    for lm in fr.face_landmarks(rgb, locations, model="large"):
        left, right = np.array(lm["left_eye"], float), np.array(lm["right_eye"], float)
        nose = np.array(lm["nose_bridge"][3], float)  # point 30 of the 68 ends the nose bridge
        top = lm["top_lip"]
        eyes = sorted([left.mean(0), right.mean(0)], key=lambda p: p[0])
        corners = sorted([np.array(top[0], float), np.array(top[6], float)], key=lambda p: p[0])
        out.append(np.stack([eyes[0], eyes[1], nose, corners[0], corners[1]]))
    return out


def embedding(path: Path, grey: bool = False) -> np.ndarray | None:
    """face_recognition's descriptor of the largest face of ``path`` (cached), None without a face."""
    path = Path(path)
    key = hashlib.sha1(f"{PEER}|{photo_ident(path)}|{grey}".encode()).hexdigest()
    cached = cache_root() / PEER / f"{key}.pkl"
    if cached.is_file():
        return pickle.loads(cached.read_bytes())
    fr = _require()
    if grey:
        from faceatlas.eval.variants import grayscale

        rgb = grayscale(path).full()
    else:
        rgb = fr.load_image_file(str(path))
    locations = fr.face_locations(rgb, number_of_times_to_upsample=1)
    result = None
    if locations:
        largest = max(locations, key=lambda t: (t[2] - t[0]) * (t[1] - t[3]))
        result = np.asarray(fr.face_encodings(rgb, [largest])[0], dtype=np.float32)
    cached.parent.mkdir(parents=True, exist_ok=True)
    write_entry(cached, result)
    return result
