"""A person's attributes from their faces' (whatever heads wrote them), and filters over them.

Per key, over the person's faces of good quality (all their faces when none is good): text values
(gender, expression) by majority, numbers (age, scores) by median, dicts (expression_scores) key by
key. Nothing here knows a head: a new head's keys are aggregated and filterable as they come.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from faceatlas.errors import FaceAtlasError

GOOD_QUALITY = 0.6  # the clusterer's "good face" quality (faceatlas.people.cluster min_quality)


def combine(values: Sequence[Any]) -> Any:
    """Majority of text, median of numbers, key-by-key for dicts; None when nothing is known."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    if all(isinstance(v, dict) for v in known):
        keys = sorted({k for v in known for k in v})
        return {k: combine([v.get(k) for v in known]) for k in keys}
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in known):
        return round(float(statistics.median(known)), 4)
    counts = Counter(str(v) for v in known)
    best = max(counts.values())
    return next(str(v) for v in known if counts[str(v)] == best)  # ties: the best-quality face's


def describe(attributes: dict[str, Any]) -> str:
    """Attributes in a few words: every scalar key, whatever head wrote it ("gender female, age 31")."""
    parts = []
    for key, value in attributes.items():
        if value is None or isinstance(value, dict):
            continue
        parts.append(f"{key} {round(value, 2):g}" if isinstance(value, float) else f"{key} {value}")
    return ", ".join(parts)


def person_attributes(faces: Iterable[tuple[float | None, dict[str, Any]]], good: float = GOOD_QUALITY) -> dict:
    """The attributes of one person from ``(quality, attributes)`` of their faces, best quality first."""
    faces = sorted(faces, key=lambda qa: -(qa[0] or 0.0))
    chosen = [a for q, a in faces if (q or 0.0) >= good and a] or [a for _, a in faces if a]
    keys = list(dict.fromkeys(k for a in chosen for k in a))
    return {k: combine([a.get(k) for a in chosen]) for k in keys}


@dataclass(frozen=True)
class Condition:
    """``key=value`` (equal), ``key_min=x`` / ``key_max=x`` (numeric bounds, inclusive)."""

    key: str
    op: str  # "eq" | "min" | "max"
    value: str

    def holds(self, attributes: dict[str, Any]) -> bool:
        have = attributes.get(self.key)
        if have is None or isinstance(have, dict):
            return False
        if self.op == "eq":
            if isinstance(have, (int, float)) and not isinstance(have, bool):
                try:
                    return float(have) == float(self.value)
                except ValueError:
                    return False
            return str(have).lower() == self.value.lower()
        bound = float(self.value)
        return float(have) >= bound if self.op == "min" else float(have) <= bound


def parse_conditions(items: Iterable[tuple[str, str]], known: Iterable[str]) -> list[Condition]:
    """Conditions from (key, value) pairs; an unknown key or a non-numeric bound is a one-line error."""
    known = list(known)
    out = []
    for key, value in items:
        name, op = key, "eq"
        for suffix in ("_min", "_max"):
            if key.endswith(suffix) and key[: -len(suffix)] in known:
                name, op = key[: -len(suffix)], suffix[1:]
        if name not in known:
            raise FaceAtlasError(f"unknown attribute {key!r}; known: {', '.join(known)} (and KEY_min / KEY_max)")
        if op != "eq":
            try:
                float(value)
            except ValueError:
                raise FaceAtlasError(f"{key}={value!r}: a number is needed") from None
        out.append(Condition(name, op, value))
    return out


def parse_where(clauses: Iterable[str], known: Iterable[str]) -> list[Condition]:
    """Conditions from ``KEY=VALUE`` strings (the CLI's ``--where``)."""
    pairs = []
    for clause in clauses:
        key, sep, value = clause.partition("=")
        if not sep or not key.strip():
            raise FaceAtlasError(f"--where {clause!r}: expected KEY=VALUE, e.g. gender=female or age_max=30")
        pairs.append((key.strip(), value.strip()))
    return parse_conditions(pairs, known)


def matches(attributes: dict[str, Any], conditions: Sequence[Condition]) -> bool:
    return all(c.holds(attributes) for c in conditions)


def people_attributes(atlas) -> dict[int, dict[str, Any]]:
    """person id → their attributes, for every person with any. Cached per person in the store
    (person_stats): only people whose faces changed since are read again."""
    from faceatlas.people.similar import all_attributes

    return all_attributes(atlas)


def known_keys(found: Iterable[dict[str, Any]] = ()) -> list[str]:
    """The standard attribute keys, then any other key a head wrote into ``found``."""
    from faceatlas.pipeline.stages import ATTRIBUTE_KEYS

    return list(dict.fromkeys([*ATTRIBUTE_KEYS, *(k for a in found for k in a)]))
