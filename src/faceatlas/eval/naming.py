"""Benchmarks for naming: captioned composite "news" photos, and active identification.

Captioned set (``build_news_set``): from the labelled real photos of ../shared/data, deterministic
(seeded) composites of 1-4 people side by side, each person given a made-up full name; captions are
news-style sentences naming them, plus 0, 1 or 2 distractor names per caption (people not in the
photo: half other people of the set, half names never seen). Faces are found and named end to end:
detector → embeddings, caption → name extractor → naming. Accuracy = correctly named faces / faces
(the largest face of each tile is that tile's person; other faces are not counted).

Active identification lives in :mod:`faceatlas.eval.active`.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from faceatlas.people.names import extract_names
from faceatlas.people.naming import name_faces
from faceatlas.pipeline import FaceAnalyzer

FIRST = [
    "Maria",
    "James",
    "Aisha",
    "Kenji",
    "Olga",
    "Pedro",
    "Fatima",
    "Liam",
    "Chen",
    "Sofia",
    "Omar",
    "Hanna",
    "Diego",
    "Priya",
    "Lucas",
    "Amara",
    "Ivan",
    "Noor",
    "Elena",
    "Tomas",
    "Yuki",
    "Grace",
    "Rafael",
    "Leila",
    "Mateo",
    "Zara",
    "Viktor",
    "Ines",
    "Samuel",
    "Mei",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Kowalski",
    "Haddad",
    "Fernandes",
    "O'Brien",
    "Novak",
    "Castillo",
    "Nakamura",
    "Petrov",
    "Mensah",
    "Rossi",
    "Schneider",
    "Alvarez",
    "Kaur",
    "Dubois",
    "Yilmaz",
    "Andersen",
    "Costa",
    "Ibrahim",
    "Larsen",
    "Silva",
    "Varga",
    "Kim",
    "Osei",
    "Marchetti",
    "Hoffmann",
    "Reyes",
]
TEMPLATES = [
    "{names} attend the opening of the climate summit in Geneva on Tuesday.",
    "{names} pose for photographers before the charity gala.",
    "Pictured: {names} at the press conference after the vote.",
    "{names} arrive for talks at the ministry, officials said.",
    "From left, {names} during the award ceremony in London.",
]
DISTRACTOR_TEMPLATES = [" The event was organised by {d}.", " {d} was not present.", " Organisers thanked {d}."]


def labelled_photos(data_root: Path) -> list[tuple[Path, str]]:
    """(photo, identity) for every labelled photo of ../shared/data."""
    out = []
    with (data_root / "deepface" / "identities.csv").open() as fh:
        out += [(data_root / "deepface" / r["file"], "df" + r["identity"]) for r in csv.DictReader(fh)]
    train = data_root / "face_recognition" / "examples" / "knn_examples" / "train"
    for person in sorted(p for p in train.iterdir() if p.is_dir()):
        out += [(p, "fr_" + person.name) for p in sorted(person.iterdir())]
    for p in sorted((data_root / "detection" / "compreface").glob("*.jpg")):
        tag = p.stem.split("_")[1]
        if tag.isalpha():
            out.append((p, "cf_" + tag))
    return out


def labelled_embeddings(data_root: Path, analyzer: FaceAnalyzer | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Embedding of the largest face of every labelled photo, and an integer identity per face."""
    analyzer = analyzer or FaceAnalyzer()
    vecs, ids = [], []
    for path, ident in labelled_photos(data_root):
        faces = analyzer.analyze(path)
        if faces:
            vecs.append(faces[0].embedding)
            ids.append(ident)
    _, truth = np.unique(ids, return_inverse=True)
    return np.stack(vecs), truth


def _names_for(identities: list[str], seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    combos = [f"{f} {last}" for f in FIRST for last in LAST]
    rng.shuffle(combos)
    return {ident: combos[i] for i, ident in enumerate(sorted(identities))}


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class NewsPhoto:
    path: Path
    people: list[str]  # identity per tile, left to right
    tiles: list[tuple[int, int]]  # x-range of each tile
    captions: dict[int, str]  # distractor count → caption


def build_news_set(data_root: Path, out: Path, count: int = 60, seed: int = 7, height: int = 360) -> list[NewsPhoto]:
    """Write ``count`` composites and ``captions_{0,1,2}.jsonl`` into ``out``."""
    photos = labelled_photos(data_root)
    by_id: dict[str, list[Path]] = {}
    for p, ident in photos:
        by_id.setdefault(ident, []).append(p)
    names = _names_for(list(by_id), seed)
    unseen = [f"{f} {last}" for f, last in zip(reversed(FIRST), LAST)]
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    items: list[NewsPhoto] = []
    for n in range(count):
        k = rng.choice([1, 2, 2, 3, 3, 4])
        people = rng.sample(sorted(by_id), k)
        tiles, parts, x = [], [], 0
        for ident in people:
            img = Image.open(rng.choice(by_id[ident])).convert("RGB")
            img = img.resize((max(1, round(img.width * height / img.height)), height))
            parts.append(img)
            tiles.append((x, x + img.width))
            x += img.width + 12
        canvas = Image.new("RGB", (x - 12, height), (255, 255, 255))
        for img, (x0, _) in zip(parts, tiles):
            canvas.paste(img, (x0, 0))
        path = out / f"news_{n:03d}.jpg"
        canvas.save(path, quality=90)
        shown = [names[i] for i in people]
        order = shown[:]
        rng.shuffle(order)
        base = rng.choice(TEMPLATES).format(names=_join(order))
        others = [names[i] for i in sorted(by_id) if i not in people]
        captions = {0: base}
        extra = ""
        for d in (1, 2):
            pool = others if rng.random() < 0.5 else unseen
            extra += rng.choice(DISTRACTOR_TEMPLATES).format(d=rng.choice(pool))
            captions[d] = base + extra
        items.append(NewsPhoto(path, people, tiles, captions))
    for d in (0, 1, 2):
        with (out / f"captions_{d}.jsonl").open("w") as fh:
            for it in items:
                fh.write(json.dumps({"image": it.path.name, "caption": it.captions[d]}) + "\n")
    (out / "truth.json").write_text(
        json.dumps(
            {
                "names": names,
                "photos": [{"image": it.path.name, "people": it.people, "tiles": it.tiles} for it in items],
            },
            indent=1,
        )
    )
    return items


def naming_accuracy(items: list[NewsPhoto], names: dict[str, str], analyzer: FaceAnalyzer | None = None) -> dict:
    """Accuracy with 0, 1 and 2 distractor names per caption (each photo analysed once)."""
    analyzer = analyzer or FaceAnalyzer()
    vectors: list[np.ndarray] = []
    photo_faces: list[list[int]] = []
    truth: dict[int, str] = {}
    for it in items:
        ids = []
        best_in_tile: dict[int, tuple[float, int]] = {}
        for face in analyzer.analyze(it.path):
            idx = len(vectors)
            vectors.append(face.embedding)
            ids.append(idx)
            cx = face.bbox.center[0]
            for t, (x0, x1) in enumerate(it.tiles):
                if x0 <= cx < x1 and face.bbox.area > best_in_tile.get(t, (0, -1))[0]:
                    best_in_tile[t] = (face.bbox.area, idx)
        for t, (_, idx) in best_in_tile.items():
            truth[idx] = names[it.people[t]]
        photo_faces.append(ids)
    x = np.stack(vectors)
    report = {
        "photos": len(items),
        "faces_counted": len(truth),
        "people_in_photos": sum(len(it.people) for it in items),
    }
    for d in (0, 1, 2):
        cand = [extract_names(it.captions[d]) for it in items]
        result = name_faces(photo_faces, cand, x)
        right = sum(result[i].name == n for i, n in truth.items())
        report[f"accuracy_{d}_distractors"] = round(right / max(1, report["people_in_photos"]), 4)
        extracted = sum(len(set(c) & {names[p] for p in it.people}) for c, it in zip(cand, items))
        report[f"names_extracted_{d}"] = round(extracted / report["people_in_photos"], 4)
    return report
