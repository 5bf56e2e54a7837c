"""Active identification benchmarks.

``review_run`` (``faceatlas eval active DATA --set celeba``): the people review as a user meets it.
The photos of one half of ``celeba_dev`` go into a fresh atlas (faces from the evaluation cache,
grouped by the scan's own clustering); then a simulated user answers the review's first question,
again and again, through the same functions the page and REST use (:func:`questions`,
:func:`answer_name`, :func:`skip`), up to ``budget`` answers per true identity. The user knows the
identity of each photo's largest face (CelebA's label) and nothing about other faces, whose
questions are skipped (skips are not counted as answers). To "Is this X?" the user answers Yes
when right and otherwise types the right name (one answer either way). Score: the fraction of
labelled faces whose person carries their true name, after each answer. ``order="random"`` asks the
review's questions in random order instead (the baseline).

``active_curve`` (``--set shared``): the older face-level curve on ../shared/data — the accuracy of
:func:`identify` after each single-face answer, faceatlas's question order vs random questions.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from faceatlas.people.identify import identify, question_order


@dataclass
class ReviewRun:
    """The outcome of a simulated review (see the module docstring)."""

    photos: int
    faces: int
    labelled_faces: int
    identities: int
    budget: float
    answers: int = 0
    skips: int = 0
    yes: int = 0
    typed: int = 0
    curve: list[float] = field(default_factory=list)  # accuracy after each answer
    start_people: int = 0
    named_wrong: int = 0  # labelled faces carrying another identity's name at the end
    other_faces_named: int = 0  # faces that are not a photo's labelled one, given a name at the end

    def accuracy_at(self, per_identity: float) -> float | None:
        n = int(round(per_identity * self.identities))
        if n == 0:
            return None
        return round(self.curve[min(n, len(self.curve)) - 1], 4) if self.curve else 0.0

    def to_dict(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "curve"}
        out["accuracy"] = round(self.curve[-1], 4) if self.curve else 0.0
        out["accuracy_after_answers_per_identity"] = {
            str(b): self.accuracy_at(b) for b in (0.25, 0.5, 1.0, 1.5, 2.0) if b <= self.budget
        }
        return out


def build_atlas(db: Path, photos, cache) -> dict[int, str]:
    """Store every face of ``photos`` (from ``cache``) in the atlas at ``db`` and group them as a scan
    does. Returns face id → true name, for the largest face of each photo."""
    from faceatlas.people.assign import assign_new_faces
    from faceatlas.store import Atlas

    truth: dict[int, str] = {}
    with Atlas(db) as atlas:
        with atlas.transaction():
            for p in photos:
                faces = cache.faces(p.path)
                st = p.path.stat()
                image = atlas.images.upsert(
                    str(p.path), size=st.st_size, mtime_ns=st.st_mtime_ns, sha256=None, status="done"
                )
                if faces:
                    ids = atlas.faces.replace_for_image(image, faces)
                    truth[ids[0]] = f"Celeb {p.identity}"
        assign_new_faces(atlas)
    return truth


def named_right(atlas, truth: dict[int, str]) -> float:
    """Fraction of the labelled faces whose person is named with their true name."""
    return naming_counts(atlas, truth)[0] / max(1, len(truth))


def naming_counts(atlas, truth: dict[int, str]) -> tuple[int, int, int]:
    """(labelled faces named right, labelled faces named wrong, other faces given a name)."""
    names = atlas.people.names()
    right = wrong = others = 0
    for f in atlas.faces.live():
        name = names.get(f.person_id)
        if f.id not in truth:
            others += name is not None
        elif name == truth[f.id]:
            right += 1
        elif name is not None:
            wrong += 1
    return right, wrong, others


def review_run(
    photos,
    cache,
    budget: float = 1.5,
    order: str = "review",
    seed: int = 0,
    accept: float | None = None,
    confirm_distance: float | None = None,
    workdir: Path | None = None,
) -> ReviewRun:
    """Simulate a user answering the review (see the module docstring)."""
    from faceatlas.people import labeling
    from faceatlas.store import Atlas

    accept = labeling.ACCEPT if accept is None else accept
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        db = Path(tmp) / "atlas.sqlite3"
        truth = build_atlas(db, photos, cache)
        with Atlas(db) as atlas:
            run = ReviewRun(
                photos=len(photos),
                faces=atlas.faces.count(),
                labelled_faces=len(truth),
                identities=len(set(truth.values())),
                budget=budget,
                start_people=len(atlas.people.all()),
            )
            limit = int(round(budget * run.identities))
            while run.answers < limit:
                limit_q = 1 if order == "review" else 10_000
                asked = labeling.questions(atlas, limit=limit_q, confirm_distance=confirm_distance)
                if not asked:
                    break
                q = asked[0] if order == "review" else rng.choice(asked)
                name = truth.get(q.face_id)
                if name is None:  # a face the user does not know (not a labelled one): Skip
                    labeling.skip(atlas, q.face_id)
                    run.skips += 1
                    continue
                if q.suggested_name == name:
                    run.yes += 1
                else:
                    run.typed += 1
                try:
                    labeling.answer_name(atlas, q.face_id, name, accept=accept)
                except labeling.NeedsConfirmation:  # the person holds faces placed by hand: only this face
                    labeling.answer_name(atlas, q.face_id, name, scope="face", accept=accept)
                run.answers += 1
                run.curve.append(named_right(atlas, truth))
            _, run.named_wrong, run.other_faces_named = naming_counts(atlas, truth)
    return run


def active_curve(x: np.ndarray, truth: np.ndarray, steps: int, random_runs: int = 10, seed: int = 0) -> dict:
    """Accuracy after each answer for faceatlas's questions and for random questions."""

    def accuracy(labels: np.ndarray) -> float:
        pred, _ = identify(x, labels)
        return float((pred == truth).mean())

    labels = np.full(len(x), -1)
    active = []
    for _ in range(steps):
        ask = question_order(x, labels)
        if len(ask) == 0:
            break
        labels[ask[0]] = truth[ask[0]]
        active.append(accuracy(labels))
    rng = np.random.default_rng(seed)
    randoms = []
    for _ in range(random_runs):
        labels = np.full(len(x), -1)
        curve = []
        for f in rng.permutation(len(x))[:steps]:
            labels[f] = truth[f]
            curve.append(accuracy(labels))
        randoms.append(curve)
    rand = np.mean(np.array(randoms), axis=0).tolist()
    return {"active": active, "random": rand}


def answers_to_reach(curve: list[float], target: float) -> int | None:
    for i, acc in enumerate(curve, start=1):
        if acc >= target:
            return i
    return None
