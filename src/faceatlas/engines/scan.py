"""`faceatlas scan`: plan, analyse (in-process or a pool of processes), commit each image atomically,
mark vanished files, then assign new faces to people and drop the thumbnails of faces that are gone.

Every image is committed in its own transaction (its row and all its faces together), so a scan
killed at any moment loses nothing already committed, and running it again does only what is left
and reaches the same end state.

The atlas records the embedder (identity space) of its vectors. A scan with another embedder is
refused unless asked to re-embed: then the atlas switches to the new space at once and every image
whose faces are of another space is analysed again (its faces keep their ids, people and the
user's decisions where the new face overlaps the old). The index and queries only ever see the
atlas's space; an interrupted re-embedding goes on at the next scan.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from faceatlas.engines.lifetime import die_with_parent, exclusive
from faceatlas.engines.plan import WorkItem, make_plan
from faceatlas.engines.worker import WorkResult, analyze_item, init_worker
from faceatlas.errors import EmbedderMismatchError
from faceatlas.identity.space import space_of
from faceatlas.io.captions import embedded_caption, sidecar_caption
from faceatlas.people.assign import AssignReport, assign_new_faces, full_recluster
from faceatlas.pipeline import AnalyzerConfig
from faceatlas.store import Atlas


@dataclass
class ScanSummary:
    images_seen: int = 0
    analyzed: int = 0
    skipped_unchanged: int = 0
    failed: list[dict] = field(default_factory=list)
    unreadable: list[dict] = field(default_factory=list)  # folders that could not be listed
    vanished: int = 0
    faces_added: int = 0
    people: int = 0
    embedder: str = ""
    reembedded: int = 0  # images analysed again because their faces were of another embedder
    reembed_left: int = 0
    assignment: dict = field(default_factory=dict)
    captions_updated: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def commit_result(atlas: Atlas, res: WorkResult, keep_ids: bool = False) -> int:
    """Store one analysed file atomically; returns the number of faces stored (``keep_ids``: see
    :meth:`~faceatlas.store.faces.FaceTable.replace_for_image`)."""
    with atlas.transaction():
        image_id = atlas.images.upsert(
            res.item.path,
            size=res.item.size,
            mtime_ns=res.item.mtime_ns,
            sha256=res.sha256,
            status="failed" if res.error is not None else "done",
            error=res.error,
            width=res.width,
            height=res.height,
            model=res.model,
        )
        if res.error is not None:
            return 0  # faces from an earlier, readable version stay out of sight (status failed)
        atlas.faces.replace_for_image(image_id, res.faces, keep_ids=keep_ids)
        atlas.images.set_taken_at(image_id, res.taken_at)
        if res.caption:
            atlas.images.set_caption(image_id, *res.caption)
        elif (stored := atlas.images.caption(image_id)) is not None and stored[1] != "manifest":
            atlas.images.delete_caption(image_id)  # the sidecar or embedded caption is gone
        return len(res.faces)


def refresh_captions(atlas: Atlas, kept: list[tuple[int, str]]) -> int:
    """Sidecar captions of files not re-analysed: one that appeared or changed since the last scan is
    read now, one that was removed falls back to the caption embedded in the photo (a changed
    embedded caption changes the file, which is then analysed again). Returns how many changed."""
    changed = 0
    with atlas.transaction():
        for image_id, path in kept:
            stored = atlas.images.caption(image_id)
            text = sidecar_caption(Path(path))
            if text is not None:
                if stored != (text, "sidecar"):
                    atlas.images.set_caption(image_id, text, "sidecar")
                    changed += 1
            elif stored is not None and stored[1] == "sidecar":
                embedded = embedded_caption(Path(path))
                if embedded:
                    atlas.images.set_caption(image_id, embedded, "embedded")
                else:
                    atlas.images.delete_caption(image_id)
                changed += 1
    return changed


def run_items(items: list[WorkItem], config: AnalyzerConfig, workers: int) -> Iterator[WorkResult]:
    """Analyse ``items``: in this process when ``workers`` <= 1, else in a spawn pool (results arrive
    as they finish)."""
    if workers <= 1 or len(items) <= 1:
        init_worker(config, single_thread=False)
        for item in items:
            yield analyze_item(item)
        return
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, initializer=_init_pool_worker, initargs=(config,)) as pool:
        yield from pool.imap_unordered(analyze_item, items, chunksize=1)


def _init_pool_worker(config: AnalyzerConfig) -> None:
    """A pool worker: dies with the scan that started it, then loads its models."""
    die_with_parent()
    init_worker(config)


def scan(
    atlas: Atlas,
    roots: list[Path],
    config: AnalyzerConfig | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int], None] | None = None,
    on_error: Callable[[str, str], None] | None = None,
    assign: bool = True,
    engine: Callable[[list[WorkItem], AnalyzerConfig, int], Iterator[WorkResult]] = run_items,
    confine: list[Path] | None = None,
    reembed: bool = False,
) -> ScanSummary:
    """Scan ``roots`` into ``atlas``; see the module docstring. One scan at a time per atlas: a second
    one raises :class:`~faceatlas.engines.lifetime.AtlasBusyError` at once (``faceatlas scan`` exits 3).
    Raises :class:`~faceatlas.errors.EmbedderMismatchError` when ``config``'s embedder is not the
    atlas's and ``reembed`` is not set."""
    with exclusive(atlas.sidecar(".scan.lock")):
        return _scan(atlas, roots, config, workers, progress, on_plan, on_error, assign, engine, confine, reembed)


def _scan(atlas, roots, config, workers, progress, on_plan, on_error, assign, engine, confine, reembed) -> ScanSummary:
    start = time.perf_counter()
    config = config or AnalyzerConfig()
    key = space_of(config.embedder).key
    if atlas.embedder != key or atlas.embedder_model != config.embedder:
        if atlas.embedder not in (None, key) and not reembed:
            hint = f"add --reembed to re-embed every face with {config.embedder}"
            raise EmbedderMismatchError(atlas.embedder, key, hint)
        atlas.set_embedder(key, config.embedder)
    plan = make_plan(atlas, roots, confine=confine, on_error=on_error)
    stale = _stale_items(atlas, key, {item.path for item in plan.todo})
    summary = ScanSummary(
        images_seen=plan.seen, skipped_unchanged=plan.unchanged, unreadable=plan.unreadable, embedder=key
    )
    if on_plan:
        on_plan(len(plan.todo) + len(stale))
    stale_paths = {item.path for item in stale}
    for res in engine(plan.todo + stale, config, workers):
        again = res.item.path in stale_paths
        summary.reembedded += again
        summary.faces_added += commit_result(atlas, res, keep_ids=again)
        summary.analyzed += 1
        if res.error is not None:
            summary.failed.append({"image": res.item.path, "error": res.error})
            if on_error:
                on_error(res.item.path, res.error)
        if progress:
            progress(1)
    summary.captions_updated = refresh_captions(atlas, plan.kept)
    if plan.vanished:
        with atlas.transaction():
            atlas.images.mark_missing(plan.vanished)
        summary.vanished = len(plan.vanished)
    summary.reembed_left = len(atlas.faces.images_embedded_otherwise(key))
    if not assign or summary.reembed_left:
        report = AssignReport()  # people wait until every vector is of one space
    elif stale:
        report = full_recluster(atlas)  # auto assignments were made in the old space; user decisions stay
    else:
        report = assign_new_faces(atlas)
    from faceatlas.people.similar import refresh

    refresh(atlas)  # the centroids and attributes of the people whose faces changed (pages need not)
    if plan.vanished or summary.analyzed:
        atlas.thumbnails().prune(set(atlas.faces.live_ids().tolist()))
    summary.assignment = report.to_dict()
    summary.people = len(atlas.people.all())
    summary.seconds = round(time.perf_counter() - start, 2)
    return summary


def _stale_items(atlas: Atlas, key: str, planned: set[str]) -> list[WorkItem]:
    """Work items for the live images whose faces are of another space than ``key`` (a vanished file
    is marked missing instead)."""
    items, gone = [], []
    for path in atlas.faces.images_embedded_otherwise(key):
        if path in planned:
            continue
        try:
            st = os.stat(path)
        except OSError:
            row = atlas.images.get_by_path(path)
            if row is not None:
                gone.append(row.id)
            continue
        items.append(WorkItem(path, st.st_size, st.st_mtime_ns))
    if gone:
        with atlas.transaction():
            atlas.images.mark_missing(gone)
    return items
