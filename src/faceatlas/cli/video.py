"""`faceatlas video FILE`: the face tracks of one video, optionally an annotated copy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from faceatlas.cli.common import DbOpt, JsonOpt, db_path
from faceatlas.cli.output import emit_json, out_console, progress_bar, show_progress
from faceatlas.errors import FaceAtlasError


def video(
    file: Annotated[Path, typer.Argument(help="A video file (anything OpenCV's FFmpeg decodes).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write an annotated copy (.webm: VP8, plays in browsers; .mp4: H.264 or mp4v)."),
    ] = None,
    every: Annotated[int | None, typer.Option("--every", min=1, help="Detect on every N-th frame.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Track the faces of a video: boxes and smoothed landmarks per frame, one identity per track."""
    from faceatlas.video import DEFAULT_EVERY, VideoConfig, track_video
    from faceatlas.video.annotate import check_output, write_annotated

    config = VideoConfig(every=every or DEFAULT_EVERY)
    try:
        if out is not None:
            check_output(out)  # before the work, not after
        with progress_bar(None, "tracking", show_progress(as_json)) as bar:
            result = track_video(file, config=config, progress=bar, on_start=bar.set_total)
        _name(result, db)
        codec = write_annotated(result, out) if out is not None else None
    except FaceAtlasError as exc:
        reason = str(getattr(exc, "reason", exc))
        if as_json:
            emit_json({"video": str(file), "error": reason})
        else:
            out_console.print(f"[red]error[/red] {file}: {reason}", highlight=False)
        raise typer.Exit(2) from None
    if as_json:
        doc = result.to_dict()
        if out is not None:
            doc["annotated"] = {"path": str(out), "codec": codec}
        emit_json(doc)
        return
    out_console.print(
        f"{file}: {result.frames} frames at {result.fps:.2f} fps, {len(result.tracks)} face tracks "
        f"({result.frames / max(result.seconds, 1e-9):.1f} frames/s)",
        highlight=False,
    )
    for t in result.tracks:
        who = f" {t.person['name'] or 'person ' + str(t.person['id'])}" if t.person else ""
        out_console.print(
            f"  #{t.id}{who}: {t.start_ms / 1000:.2f}–{t.end_ms / 1000:.2f} s, {len(t.frames)} frames, "
            f"quality {t.quality}",
            highlight=False,
        )
    if out is not None:
        note = "" if codec in ("avc1", "VP80") else " (not H.264: browsers may not play it; use .webm)"
        out_console.print(f"annotated copy: {out} (codec {codec}){note}", highlight=False, markup=False)


def _name(result, db: Path | None) -> None:
    """Name tracks from the atlas when one exists (never creates or writes one)."""
    path = db_path(db)
    if not path.is_file():
        return
    from faceatlas.store import Atlas
    from faceatlas.video.naming import name_tracks

    with Atlas(path) as atlas:
        name_tracks(result, atlas)
