"""What ``curate --out`` writes: curate.csv, clean.txt and report.html (worst cases as thumbnails,
distance histograms; images embedded as base64 PNG/JPEG, so the page is one file)."""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

import numpy as np

from faceatlas.research.judge import CurateReport
from faceatlas.research.records import FLAGS, UNCLEAN_FLAGS, DatasetFile

WORST = 24  # thumbnails per section


def write_csv(report: CurateReport, path: Path) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "identity", "flags", "distance_to_identity", "duplicate_of"])
        for f in report.files:
            d = f.distance_to_identity
            w.writerow([f.file, f.identity, ";".join(f.flags), "" if d is None else f"{d:.4f}", f.duplicate_of or ""])
    return path


def clean_files(report: CurateReport) -> list[str]:
    """Files with none of no_face, multiple_faces, mislabelled, duplicate."""
    return [f.file for f in report.files if not UNCLEAN_FLAGS.intersection(f.flags)]


def write_clean(report: CurateReport, path: Path) -> Path:
    path.write_text("".join(f + "\n" for f in clean_files(report)))
    return path


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _histograms(report: CurateReport, nearest: np.ndarray) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def histogram(values: np.ndarray, colour: str, threshold: float, label: str, xlabel: str) -> str:
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.hist(values, bins=60, color=colour)
        ax.axvline(threshold, color="r", label=label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("files")
        ax.legend()
        fig.tight_layout()
        return _png(fig)

    out = []
    d = np.array([f.distance_to_identity for f in report.files if f.distance_to_identity is not None])
    if len(d):
        png = histogram(
            d, "#4a7", report.thresholds.mislabelled, "mislabelled threshold", "distance to the identity's centre"
        )
        out.append(("Distance of each photo to its identity's centre", png))
    if len(nearest):
        png = histogram(
            nearest,
            "#47a",
            report.thresholds.duplicate,
            "near-duplicate threshold",
            "distance to the nearest other photo (any identity)",
        )
        out.append(("Distance of each photo to its nearest neighbour", png))
    return out


def _nearest(files: list[DatasetFile], report: CurateReport) -> np.ndarray:
    import faiss

    by_name = {f.file: f for f in files}
    vecs = [by_name[v.file].faces[v.face].embedding for v in report.files if v.face is not None]
    if len(vecs) < 2:
        return np.zeros(0)
    x = np.ascontiguousarray(np.stack(vecs), dtype=np.float32)
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(x)
    d2, _ = index.search(x, 2)
    return np.sqrt(np.maximum(d2[:, 1], 0.0))


def _thumb(item: DatasetFile, face: int | None, size: int = 120) -> str:
    """A base64 JPEG of the face (or of the whole image when there is none); "" if unreadable."""
    from PIL import Image

    try:
        if face is not None:
            from faceatlas.io.thumbnails import face_crop

            img = face_crop(item.path, item.faces[face].bbox, size)
        else:
            img = Image.open(item.path).convert("RGB")
            img.thumbnail((size, size))
    except Exception:  # a thumbnail must never stop the report
        return ""
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return base64.b64encode(buf.getvalue()).decode()


def _card(item: DatasetFile, face: int | None, caption: str) -> str:
    data = _thumb(item, face)
    img = f'<img src="data:image/jpeg;base64,{data}">' if data else '<div class="none">unreadable</div>'
    return f"<figure>{img}<figcaption>{html.escape(caption)}</figcaption></figure>"


def write_html(report: CurateReport, files: list[DatasetFile], path: Path) -> Path:
    by_name = {f.file: f for f in files}
    verdict = {v.file: v for v in report.files}
    parts = [
        "<!doctype html><meta charset='utf-8'><title>faceatlas curate</title><style>"
        "body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:4px;width:250px;"
        "vertical-align:top}figure img{width:120px;height:120px}figcaption{font-size:11px;word-break:break-all}"
        ".pair img{margin-right:4px}.none{width:120px;height:120px;background:#ddd}</style>",
        "<h1>faceatlas curate</h1>",
        f"<p>{len(report.files)} files, {len(report.identities)} identities; embedder {html.escape(report.embedder)}; "
        f"thresholds {html.escape(str(report.thresholds.to_dict()))}</p><ul>",
    ]
    for flag in FLAGS:
        parts.append(f"<li>{flag}: {len(report.flagged(flag))}</li>")
    parts.append("</ul>")
    for title, png in _histograms(report, _nearest(files, report)):
        parts.append(f"<h2>{html.escape(title)}</h2><img src='data:image/png;base64,{png}'>")

    worst = sorted(report.flagged("mislabelled"), key=lambda v: -(v.distance_to_identity or 0))[:WORST]
    parts.append(f"<h2>Most likely mislabelled (worst {len(worst)}; beside each: its identity's medoid)</h2>")
    for v in worst:
        medoid = report.medoids.get(v.identity)
        cards = _card(by_name[v.file], v.face, f"{v.file} d={v.distance_to_identity:.3f}")
        if medoid:
            cards += _card(by_name[medoid], verdict[medoid].face, f"centre of {v.identity}: {medoid}")
        parts.append(f"<div class='pair'>{cards}</div>")
    dups = report.flagged("duplicate")[:WORST]
    parts.append(f"<h2>Duplicates (first {len(dups)})</h2>")
    for v in dups:
        kept = by_name[v.duplicate_of]
        parts.append(
            f"<div class='pair'>{_card(by_name[v.file], v.face, v.file)}"
            f"{_card(kept, verdict[kept.file].face, 'kept: ' + kept.file)}</div>"
        )
    for flag in ("no_face", "multiple_faces", "low_quality", "small_face", "extreme_pose"):
        some = report.flagged(flag)[:WORST]
        if some:
            parts.append(f"<h2>{flag} (first {len(some)})</h2>")
            parts.extend(_card(by_name[v.file], v.face, v.file) for v in some)
    path.write_text("\n".join(parts))
    return path


def write_outputs(report: CurateReport, files: list[DatasetFile], out: Path) -> dict[str, str]:
    """curate.csv, clean.txt and report.html in ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    return {
        "csv": str(write_csv(report, out / "curate.csv")),
        "clean": str(write_clean(report, out / "clean.txt")),
        "html": str(write_html(report, files, out / "report.html")),
    }
