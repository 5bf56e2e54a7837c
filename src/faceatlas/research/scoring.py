"""Precision and recall of curation flags against known (injected) errors."""

from __future__ import annotations

from dataclasses import dataclass

from faceatlas.research.judge import CurateReport


@dataclass(frozen=True)
class FlagScore:
    flag: str
    flagged: int
    true: int
    hits: int

    @property
    def precision(self) -> float:
        return self.hits / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.hits / self.true if self.true else 1.0

    def to_dict(self) -> dict:
        return {
            "flag": self.flag,
            "flagged": self.flagged,
            "injected": self.true,
            "found": self.hits,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


def score_flags(report: CurateReport, truth: dict[str, set[str]], flags: tuple[str, ...]) -> list[FlagScore]:
    """Per flag: how many files carry it, how many truly have it, how many of both."""
    out = []
    for flag in flags:
        flagged = {f.file for f in report.files if flag in f.flags}
        true = {f for f, fl in truth.items() if flag in fl}
        out.append(FlagScore(flag, len(flagged), len(true), len(flagged & true)))
    return out
