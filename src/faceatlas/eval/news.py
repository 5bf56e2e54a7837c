"""Naming benchmark on celeba_dev: composite "news" photos with captions, named end to end.

``build_news(photos, out, ...)`` makes deterministic (seeded) composites of 1–3 people of one half
side by side (each identity gets an invented name and a role), with a caption each:

- ``news``: agency-style captions: roles and titles ("U.S. Sen.", "Actress"), a dateline or a date
  ("Jan. 4, 2013"), a place, sometimes an organisation, a photo credit ("(AP Photo/…)",
  "REUTERS/…", "Photo: …/AFP"), positions in half of the photos with several people ("(L)", "(R)",
  "(C)", "From left:", ", left,"), names otherwise in random order, at least one person mentioned
  who is not in the photo (another identity of the same half, or a name never seen), and one caption
  in ten in capitals;
- ``simple``: the names of the people shown in random order and one absent person's name.

``score_naming`` runs detection and embeddings (through the on-disk :class:`FaceCache`: composites
are written once and keep their mtime, so a second run reads every face back), the caption parser
and face-level naming, and scores: **named right** = faces shown whose applied name is theirs /
faces shown (a face the detector misses, left unnamed or sent to review counts as wrong);
**precision** = right / names applied automatically (any face, also bystanders in a tile).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from faceatlas.eval.devsets import LabelledPhoto, paths_by_identity
from faceatlas.people.names import CaptionName, parse_caption
from faceatlas.people.naming import FaceName, auto_apply, name_faces

FIRST = (
    "Maria James Aisha Kenji Olga Pedro Fatima Liam Chen Sofia Omar Hanna Diego Priya Lucas Amara Ivan Noor "
    "Elena Tomas Yuki Grace Rafael Leila Mateo Zara Viktor Ines Samuel Mei José Zoë Søren Anne-Marie Chloé "
    "Björn Jean-Luc Siobhán Raúl Agnieszka"
).split()
LAST = (
    "Okafor,Lindqvist,Moreau,Tanaka,Kowalski,Haddad,Fernandes,O'Brien,Novak,Castillo,Nakamura,Petrov,Mensah,"
    "Rossi,Schneider,Alvarez,Kaur,Dubois,Yilmaz,Andersen,Costa,Ibrahim,Larsen,Silva,Varga,Kim,Osei,Marchetti,"
    "Hoffmann,Reyes,Müller,García-Márquez,van Dijk,de la Cruz,Smith-Jones,Øvergaard,Nuñez"
).split(",")
ROLES = [
    "U.S. President",
    "Actress",
    "Actor",
    "Singer",
    "Sen.",
    "Gov.",
    "Rep.",
    "Dr.",
    "Prime Minister",
    "Foreign Minister",
    "Mayor",
    "Chancellor",
    "coach",
    "CEO",
    "director",
    "Ambassador",
    "Judge",
    "Prof.",
    "British Prime Minister",
    "French President",
    "",
    "",
    "",
]
PLACES = [
    "Geneva",
    "Los Angeles",
    "New York",
    "Paris",
    "Berlin",
    "Tokyo",
    "Buenos Aires",
    "Cannes, France",
    "Washington",
    "London",
    "Seoul, South Korea",
    "Nairobi, Kenya",
]
ORGS = [
    "at the United Nations headquarters",
    "at Harvard University",
    "at the World Economic Forum",
    "at the Museum of Modern Art",
    "during a Senate Foreign Relations Committee hearing",
    "at the Cannes Film Festival",
    "",
    "",
]
VERBS = ["attend a news conference", "arrive for talks", "pose for photographers", "speak to reporters"]
VERB_ONE = ["attends a news conference", "arrives for talks", "poses for photographers", "speaks to reporters"]
ABSENT = [
    "{a} was not present.",
    "Organisers thanked {a}.",
    "They were later joined by {a}.",
    "The meeting had been requested by {ra} {a}.",
    "{a}'s office declined to comment.",
]
CREDITS = [
    "(AP Photo/{p})",
    "REUTERS/{p}",
    "Photo: {p}/AFP",
    "(Photo by {p}/Getty Images)",
    "EPA/{P}",
    "(Xinhua/{p})",
]
PHOTOGRAPHERS = ["Evan Vucci", "Jason Reed", "Carlos Barria", "Li Xueren", "Mike Segar", "Kevin Lamarque"]
MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]


def invented_names(identities: list[str], seed: int) -> dict[str, str]:
    """A made-up full name per identity (deterministic for a seed)."""
    rng = random.Random(seed)
    combos = [f"{f} {last}" for f in FIRST for last in LAST]
    rng.shuffle(combos)
    return {ident: combos[i] for i, ident in enumerate(sorted(identities))}


@dataclass
class Composite:
    image: str  # file name in the output folder
    people: list[str]  # identity per tile, left to right
    tiles: list[tuple[int, int]]  # x-range of each tile
    caption: str
    absent: list[str] = field(default_factory=list)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _news_caption(rng: random.Random, shown: list[str], roles: dict[str, str], absent: list[str]) -> str:
    k = len(shown)
    style = rng.choice(["plain", "plain", "marks", "from_left", "comma"]) if k > 1 else "plain"
    order = list(range(k))
    if style != "from_left":
        rng.shuffle(order)
    mentions = []
    for rank, i in enumerate(order):
        role = roles[shown[i]]
        text = (role + " " if role else "") + shown[i]
        if style == "marks":
            text += " (L)" if i == 0 else " (R)" if i == k - 1 else " (C)"
        elif style == "comma" and rank == 0 and i in (0, k - 1):
            text += ", left," if i == 0 else ", right,"
        mentions.append(text)
    place = rng.choice(PLACES)
    date = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {rng.randint(2008, 2024)}"
    verb = rng.choice(VERBS if k > 1 else VERB_ONE)
    org = rng.choice(ORGS)
    if style == "from_left":
        body = f"From left: {_join(mentions)} {verb} {org} in {place}, {date}."
    elif rng.random() < 0.4:
        body = f"{place.split(',')[0].upper()}, {date} -- {_join(mentions)} {verb} {org}."
    else:
        body = f"{_join(mentions)} {verb} {org} in {place} on {date}."
    body = " ".join(body.split()).replace(" .", ".").replace(" ,", ",")
    extra = " ".join(rng.choice(ABSENT).format(a=a, ra=rng.choice([r for r in ROLES if r])) for a in absent)
    p = rng.choice(PHOTOGRAPHERS)
    credit = rng.choice(CREDITS).format(p=p, P=p.upper())
    caption = f"{body} {extra} {credit}"
    return caption.upper() if rng.random() < 0.1 else caption


def build_news(
    photos: list[LabelledPhoto],
    out: Path,
    count: int = 300,
    seed: int = 11,
    style: str = "news",
    height: int = 300,
) -> tuple[list[Composite], dict[str, str]]:
    """Write ``count`` composites of the identities in ``photos`` into ``out`` (an existing file is
    not rewritten, so cached faces stay valid) and ``captions_{style}.jsonl`` + ``truth_{style}.json``."""
    if style not in ("news", "simple"):
        raise ValueError(f"style must be news or simple, not {style!r}")
    by_id = paths_by_identity(photos)
    ids = sorted(by_id)
    names = invented_names(ids, seed)
    role_rng = random.Random(seed + 1)
    roles = {names[i]: role_rng.choice(ROLES) for i in ids}
    unseen = [f"{f} {last}" for f, last in zip(reversed(FIRST), LAST)]
    rng = random.Random(seed)  # the photos: independent of the captions' draws
    text_rng = random.Random(seed + 2)
    pools = {i: rng.sample(v, len(v)) for i, v in by_id.items()}
    out.mkdir(parents=True, exist_ok=True)
    items: list[Composite] = []
    for n in range(count):
        k = rng.choice([1, 2, 2, 3, 3])
        people = rng.sample(ids, k)
        paths = []
        for ident in people:
            if not pools[ident]:
                pools[ident] = rng.sample(by_id[ident], len(by_id[ident]))
            paths.append(pools[ident].pop())
        tiles, parts, x = [], [], 0
        for path in paths:
            with Image.open(path) as im:
                img = im.convert("RGB")
            img = img.resize((max(1, round(img.width * height / img.height)), height))
            parts.append(img)
            tiles.append((x, x + img.width))
            x += img.width + 16
        recipe = hashlib.sha1("|".join(str(p) for p in paths).encode()).hexdigest()[:8]
        name = f"news_{seed}_{n:04d}_{recipe}.jpg"  # a new recipe never reuses an old file's faces
        target = out / name
        if not target.is_file():
            canvas = Image.new("RGB", (x - 16, height), (255, 255, 255))
            for img, (x0, _) in zip(parts, tiles):
                canvas.paste(img, (x0, 0))
            canvas.save(target, quality=90)
        shown = [names[i] for i in people]
        others = [names[i] for i in ids if i not in people]
        absent = [text_rng.choice(others) if text_rng.random() < 0.5 else text_rng.choice(unseen)]
        if style == "news":
            caption = _news_caption(text_rng, shown, roles, absent)
        else:
            order = shown + absent
            text_rng.shuffle(order)
            caption = _join(order)
        items.append(Composite(name, people, tiles, caption, absent))
    with (out / f"captions_{style}.jsonl").open("w") as fh:
        for it in items:
            fh.write(json.dumps({"image": it.image, "caption": it.caption}) + "\n")
    (out / f"truth_{style}.json").write_text(
        json.dumps({"names": names, "photos": [it.__dict__ for it in items]}, indent=1, ensure_ascii=False)
    )
    return items, names


@dataclass
class NamingRun:
    """Faces of the composites, their true names (None: a bystander), and the caption parses."""

    x: np.ndarray
    centres: np.ndarray
    photo_faces: list[list[int]]
    truth: dict[int, str]  # face → true name, for the face standing for each tile's person
    shown: int  # people shown (tiles)
    parsed: list[list[CaptionName]]
    names_found: float  # share of the people shown whose name the parser found


def analyse(items: list[Composite], names: dict[str, str], out: Path, cache, variant: str = "colour") -> NamingRun:
    """Faces of every composite (from ``cache``, a :class:`FaceCache`) and the captions parsed."""
    vectors, centres, photo_faces, truth = [], [], [], {}
    for it in items:
        faces = cache.faces(out / it.image, variant) or []
        ids = []
        best: dict[int, tuple[float, int]] = {}
        for face in faces:
            if face.embedding is None:
                continue
            idx = len(vectors)
            vectors.append(np.asarray(face.embedding, dtype=np.float64))
            cx = face.bbox.center[0]
            centres.append(cx)
            ids.append(idx)
            for t, (x0, x1) in enumerate(it.tiles):
                if x0 <= cx < x1 and face.bbox.area > best.get(t, (0.0, -1))[0]:
                    best[t] = (face.bbox.area, idx)
        for t, (_, idx) in best.items():
            truth[idx] = names[it.people[t]]
        photo_faces.append(ids)
    parsed = [parse_caption(it.caption, use_ner=False) for it in items]
    shown = sum(len(it.people) for it in items)
    found = sum(len({c.name for c in p} & {names[i] for i in it.people}) for p, it in zip(parsed, items))
    x = np.stack(vectors) if vectors else np.zeros((0, 128))
    return NamingRun(x, np.asarray(centres), photo_faces, truth, shown, parsed, round(found / max(1, shown), 4))


def score(run: NamingRun, answers: list[FaceName], tau: float) -> dict:
    """Named right and precision of the names applied automatically at threshold ``tau``."""
    applied = [i for i, a in enumerate(answers) if auto_apply(a, tau)]
    right = sum(1 for i in applied if run.truth.get(i) == answers[i].name)
    proposed_right = sum(1 for i, n in run.truth.items() if answers[i].name == n)
    return {
        "named_right": round(right / max(1, run.shown), 4),
        "precision": round(right / max(1, len(applied)), 4),
        "applied": len(applied),
        "to_review": sum(1 for a in answers if a.name is not None) - len(applied),
        "proposed_right": round(proposed_right / max(1, run.shown), 4),
    }


def run_naming(run: NamingRun, use_positions: bool = True) -> list[FaceName]:
    names = run.parsed if use_positions else [[c.name for c in p] for p in run.parsed]
    return name_faces(run.photo_faces, names, run.x, centres=run.centres)


def choose_tau(run: NamingRun, answers: list[FaceName], precision: float = 0.97) -> float:
    """The lowest confidence threshold whose automatic names reach ``precision`` (the dev half's τ).
    The search starts at 0.6: a name given by elimination alone (confidence ≈ 0.58) is always asked."""
    for tau in np.round(np.arange(0.6, 1.0001, 0.01), 2):
        if score(run, answers, float(tau))["precision"] >= precision:
            return float(tau)
    return 1.0


def evaluate_celeba(
    root: Path | None,
    half: str,
    out: Path,
    style: str = "news",
    count: int = 300,
    seed: int = 11,
    tau: float | None = None,
    grayscale: bool = False,
    analyzer=None,
) -> dict:
    """The naming figures on one half of celeba_dev (see the module docstring)."""
    from faceatlas.eval.cache import FaceCache
    from faceatlas.eval.devsets import celeba_photos
    from faceatlas.people.naming import AUTO_CONFIDENCE
    from faceatlas.pipeline import FaceAnalyzer

    tau = AUTO_CONFIDENCE if tau is None else tau
    items, names = build_news(celeba_photos(root, half), out, count, seed, style)
    run = analyse(items, names, out, FaceCache(analyzer or FaceAnalyzer()), "grey" if grayscale else "colour")
    answers = run_naming(run)
    report = {
        "set": f"celeba_dev {half}",
        "captions": style,
        "grayscale": grayscale,
        "photos": len(items),
        "people_shown": run.shown,
        "faces_found": len(run.x),
        "names_found_by_parser": run.names_found,
        "tau": tau,
        **score(run, answers, tau),
        "tau_for_precision_0.97_on_this_half": choose_tau(run, answers),
    }
    if style == "news":
        report["named_right_without_positions"] = score(run, run_naming(run, use_positions=False), tau)["named_right"]
    return report
