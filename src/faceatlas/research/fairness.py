"""Verification error rates per demographic group (``faceatlas eval fairness``): FMR and FNMR of each
group at the embedder's default threshold and at the one threshold giving the target FMR over all
impostor pairs, the threshold each group would need for that FMR on its own, and confidence
intervals from a bootstrap that resamples identities (pairs of one person are not independent).

A genuine pair belongs to its person's group; an impostor pair to the group both people share;
impostor pairs across two groups are reported apart (``cross-group``). Intervals are the wider of
the identity bootstrap's 2.5–97.5 percentiles and the Wilson score interval of the pair counts, so
a group of a few pairs (or one person) still gets an honestly wide interval."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import binomtest

from faceatlas.errors import FaceAtlasError

CROSS = "cross-group"


@dataclass(frozen=True)
class ScoredPair:
    """A labelled pair with its distance (inf when a face is missing) and its two people."""

    a: str
    b: str
    same: bool
    distance: float
    identity_a: str
    identity_b: str


@dataclass
class Rate:
    """errors / pairs with a 95 % interval (None when there are no pairs)."""

    errors: int
    pairs: int
    low: float | None = None
    high: float | None = None

    @property
    def value(self) -> float | None:
        return self.errors / self.pairs if self.pairs else None

    def to_dict(self) -> dict:
        r = lambda x: None if x is None else round(x, 5)  # noqa: E731
        return {"rate": r(self.value), "errors": self.errors, "pairs": self.pairs, "ci95": [r(self.low), r(self.high)]}


@dataclass
class GroupRates:
    group: str
    identities: int
    genuine: int
    impostor: int
    fnmr_default: Rate
    fmr_default: Rate
    fnmr_common: Rate
    fmr_common: Rate
    threshold_needed: float | None  # the threshold giving the target FMR on this group's impostors alone
    fmr_resolution: float | None  # 1 / impostor pairs: no FMR below it can be measured

    def to_dict(self) -> dict:
        return {
            "group": self.group,
            "identities": self.identities,
            "genuine_pairs": self.genuine,
            "impostor_pairs": self.impostor,
            "at_default_threshold": {"fnmr": self.fnmr_default.to_dict(), "fmr": self.fmr_default.to_dict()},
            "at_common_threshold": {"fnmr": self.fnmr_common.to_dict(), "fmr": self.fmr_common.to_dict()},
            "threshold_needed": None if self.threshold_needed is None else round(self.threshold_needed, 4),
            "fmr_resolution": None if self.fmr_resolution is None else round(self.fmr_resolution, 6),
        }


@dataclass
class FairnessReport:
    embedder: str
    default_threshold: float
    target_fmr: float
    common_threshold: float | None
    groups: list[GroupRates]
    cross_group: GroupRates | None
    pairs: int
    pairs_without_group: int
    bootstrap: int
    group_source: str = "groups file"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "embedder": self.embedder,
            "group_source": self.group_source,
            "default_threshold": self.default_threshold,
            "target_fmr": self.target_fmr,
            "common_threshold": None if self.common_threshold is None else round(self.common_threshold, 4),
            "pairs": self.pairs,
            "pairs_without_group": self.pairs_without_group,
            "bootstrap_resamples": self.bootstrap,
            "groups": [g.to_dict() for g in self.groups],
            "cross_group_impostors": None if self.cross_group is None else self.cross_group.to_dict(),
            "notes": self.notes,
        }


def threshold_for_fmr(impostor: np.ndarray, fmr: float) -> float | None:
    """The largest threshold whose false-match rate on ``impostor`` distances is at most ``fmr``
    (just below the smallest distance when even one match would exceed it); None without pairs."""
    d = np.sort(np.asarray(impostor, dtype=float))
    d = d[np.isfinite(d)] if np.isfinite(d).any() else d
    if len(impostor) == 0 or len(d) == 0:
        return None
    k = int(np.floor(fmr * len(impostor) + 1e-9))
    if k == 0:
        return float(np.nextafter(d[0], -np.inf))
    t = d[min(k, len(d)) - 1]
    if k < len(d) and d[k] == t:  # ties at t would push the rate over fmr
        return float(np.nextafter(t, -np.inf))
    return float(t)


def _wilson(errors: int, pairs: int) -> tuple[float, float]:
    ci = binomtest(errors, pairs).proportion_ci(confidence_level=0.95, method="wilson")
    return float(ci.low), float(ci.high)


def _rate(errors: np.ndarray, ids_a: np.ndarray, ids_b: np.ndarray | None, n_ids: int, reps: np.ndarray) -> Rate:
    """errors (bool per pair) → a Rate with the identity-bootstrap ∪ Wilson interval. ``reps`` holds
    each resample's count of every identity (B × n_ids); a pair weighs count_a (· count_b)."""
    n = len(errors)
    rate = Rate(int(errors.sum()), n)
    if n == 0:
        return rate
    lo, hi = _wilson(rate.errors, n)
    if len(reps):
        # aggregate pairs by identity cell so the bootstrap costs B × cells, not B × pairs
        key = ids_a * n_ids + (ids_b if ids_b is not None else 0)
        cells, inverse = np.unique(key, return_inverse=True)
        tot = np.bincount(inverse, minlength=len(cells)).astype(float)
        err = np.bincount(inverse, weights=errors.astype(float), minlength=len(cells))
        ca = cells // n_ids
        w = reps[:, ca] * (reps[:, cells % n_ids] if ids_b is not None else 1)
        den = w @ tot
        ok = den > 0
        if ok.any():
            boot = (w @ err)[ok] / den[ok]
            lo, hi = min(lo, float(np.percentile(boot, 2.5))), max(hi, float(np.percentile(boot, 97.5)))
    rate.low, rate.high = lo, hi
    return rate


def _group_rates(
    name: str,
    pairs: list[ScoredPair],
    t_default: float,
    t_common: float | None,
    fmr: float,
    bootstrap: int,
    rng: np.random.Generator,
) -> GroupRates:
    ids = sorted({p.identity_a for p in pairs} | {p.identity_b for p in pairs})
    index = {x: i for i, x in enumerate(ids)}
    reps = rng.multinomial(len(ids), np.full(len(ids), 1 / len(ids)), size=bootstrap) if bootstrap else np.zeros((0,))
    gen = [p for p in pairs if p.same]
    imp = [p for p in pairs if not p.same]
    dg = np.array([p.distance for p in gen], dtype=float)
    di = np.array([p.distance for p in imp], dtype=float)
    ga = np.array([index[p.identity_a] for p in gen], dtype=np.int64)
    ia = np.array([index[p.identity_a] for p in imp], dtype=np.int64)
    ib = np.array([index[p.identity_b] for p in imp], dtype=np.int64)
    n = len(ids)

    def fnmr(t: float | None) -> Rate:
        return Rate(0, 0) if t is None else _rate(dg > t, ga, None, n, reps)

    def fmr_at(t: float | None) -> Rate:
        return Rate(0, 0) if t is None else _rate(di <= t, ia, ib, n, reps)

    return GroupRates(
        group=name,
        identities=n,
        genuine=len(gen),
        impostor=len(imp),
        fnmr_default=fnmr(t_default),
        fmr_default=fmr_at(t_default),
        fnmr_common=fnmr(t_common),
        fmr_common=fmr_at(t_common),
        threshold_needed=threshold_for_fmr(di, fmr) if len(imp) else None,
        fmr_resolution=1 / len(imp) if len(imp) else None,
    )


def fairness(
    pairs: Sequence[ScoredPair],
    groups: dict[str, str],
    default_threshold: float,
    embedder: str = "",
    fmr: float = 1e-3,
    bootstrap: int = 1000,
    seed: int = 0,
) -> FairnessReport:
    """Per-group error rates of scored ``pairs``; ``groups`` maps each file to its group (pairs with
    a file outside it are counted in ``pairs_without_group`` and left out)."""
    rng = np.random.default_rng(seed)
    by_group: dict[str, list[ScoredPair]] = {}
    cross: list[ScoredPair] = []
    without = 0
    for p in pairs:
        ga, gb = groups.get(p.a), groups.get(p.b)
        if ga is None or gb is None:
            without += 1
        elif ga == gb:
            by_group.setdefault(ga, []).append(p)
        elif p.same:
            without += 1  # one person in two groups: a labelling problem, not a group's pair
        else:
            cross.append(p)
    kept = [p for ps in by_group.values() for p in ps] + cross
    impostor = np.array([p.distance for p in kept if not p.same], dtype=float)
    t_common = threshold_for_fmr(impostor, fmr)
    rows = [_group_rates(g, ps, default_threshold, t_common, fmr, bootstrap, rng) for g, ps in sorted(by_group.items())]
    cross_rates = _group_rates(CROSS, cross, default_threshold, t_common, fmr, bootstrap, rng) if cross else None
    notes = []
    if len(impostor) and fmr * len(impostor) < 1:
        notes.append(f"{len(impostor)} impostor pairs cannot measure an FMR of {fmr}: the common threshold is "
                     "just below the smallest impostor distance")  # fmt: skip
    return FairnessReport(
        embedder=embedder,
        default_threshold=default_threshold,
        target_fmr=fmr,
        common_threshold=t_common,
        groups=rows,
        cross_group=cross_rates,
        pairs=len(pairs),
        pairs_without_group=without,
        bootstrap=bootstrap,
        notes=notes,
    )


def read_groups(csv_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """``file,group[,identity]`` rows → (file → group, file → identity when given). Files are
    resolved against the CSV's folder, as the pairs' files are against theirs."""
    base = Path(csv_path).parent
    groups, identities = {}, {}
    with Path(csv_path).open(newline="") as fh:
        reader = csv.DictReader(fh)
        if not {"file", "group"} <= set(reader.fieldnames or []):
            raise FaceAtlasError(f"{csv_path}: needs the columns file,group (and optionally identity)")
        for r in reader:
            key = str((base / r["file"]).resolve())
            groups[key] = r["group"]
            if r.get("identity"):
                identities[key] = r["identity"]
    return groups, identities


def plot(report: FairnessReport, out: Path) -> Path:
    """FNMR and FMR per group with 95 % intervals, at the default and at the common threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report.groups + ([report.cross_group] if report.cross_group else [])
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    x = np.arange(len(rows))
    for ax, (title, attr) in zip(axes, (("FNMR", "fnmr"), ("FMR", "fmr")), strict=True):
        for k, (label, where) in enumerate((("default threshold", "default"), ("common threshold", "common"))):
            rates = [getattr(g, f"{attr}_{where}") for g in rows]
            v = np.array([r.value if r.value is not None else np.nan for r in rates])
            lo = np.array([r.low if r.low is not None else np.nan for r in rates])
            hi = np.array([r.high if r.high is not None else np.nan for r in rates])
            err = np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)])
            ax.bar(x + (k - 0.5) * 0.38, np.nan_to_num(v), 0.38, yerr=err, capsize=3, label=label)
        ax.set_xticks(x, [g.group for g in rows], rotation=20)
        ax.set_title(f"{title} per group (95 % CI)")
        ax.legend(fontsize=8)
    fig.suptitle(
        f"{report.embedder}: default {report.default_threshold}, common {report.common_threshold or 0:.3f} "
        f"(FMR {report.target_fmr:g} overall)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def score_pairs(
    pairs: Sequence[tuple[Path, Path, bool]],
    space,
    source,
    identities: dict[str, str] | None = None,
    progress=None,
) -> list[ScoredPair]:
    """Distances of labelled pairs from the largest face of each file (each embedded once, from
    ``source``: path → faces or None); a pair missing a face gets distance inf (a non-match). A
    file's person is ``identities[file]`` when given, else its folder's name."""
    identities = identities or {}
    memo: dict[Path, np.ndarray | None] = {}

    def vec(path: Path) -> np.ndarray | None:
        if path not in memo:
            faces = source(path)
            memo[path] = faces[0].embedding if faces else None
            if progress:
                progress()
        return memo[path]

    out = []
    for a, b, same in pairs:
        va, vb = vec(Path(a)), vec(Path(b))
        d = float("inf") if va is None or vb is None else space.distance(va, vb)
        ka, kb = str(Path(a).resolve()), str(Path(b).resolve())
        out.append(
            ScoredPair(
                ka, kb, bool(same), d, identities.get(ka, Path(a).parent.name), identities.get(kb, Path(b).parent.name)
            )
        )
    return out
