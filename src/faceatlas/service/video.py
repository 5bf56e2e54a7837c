"""`POST /v1/video`: the face tracks of a video, as a background job like scans.

The video is an upload (multipart field ``video``, with its own size limit) or a JSON ``{"path"}``
under the server's ``--root`` folders (admin only, like scans). The job's ``result`` is the
``faceatlas video --json`` document; tracks are named from the atlas, which is never written to.
Poll ``GET /v1/jobs/{id}``: video jobs share the numbering and the endpoint of scan jobs.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Depends, Request

from faceatlas.errors import FaceAtlasError
from faceatlas.io.video import VIDEO_EXTENSIONS
from faceatlas.service.deps import caller_role, require_read, settings_of, under_roots
from faceatlas.service.errors import ApiError
from faceatlas.store import Atlas

router = APIRouter(prefix="/v1")
_RUN_ONE = threading.Lock()  # one video at a time: tracking already uses the cores it is given


@dataclass
class VideoJob:
    id: int
    video: str
    state: str = "queued"  # queued | running | done | failed
    total: int | None = None
    done: int = 0
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    result: dict | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": "video",
            "state": self.state,
            "video": self.video,
            "total": self.total,
            "done": self.done,
            "result": self.result,
            "error": self.error,
        }


def run_video_job(job: VideoJob, path: Path, db: Path, analyzer_config, remove: bool = False) -> None:
    """Track ``path`` into ``job`` (in the calling thread); deletes the file after when ``remove``."""
    from faceatlas.video import track_video, video_analyzer
    from faceatlas.video.naming import name_tracks

    with _RUN_ONE:
        job.state = "running"
        try:
            result = track_video(
                path,
                video_analyzer(analyzer_config),
                progress=lambda n: setattr(job, "done", job.done + n),
                on_start=lambda n: setattr(job, "total", n or None),
            )
            result.video = job.video
            with Atlas(db) as atlas:
                name_tracks(result, atlas)
            job.result = result.to_dict()
            job.state = "done"
        except FaceAtlasError as exc:
            job.error = str(getattr(exc, "reason", exc))
            job.state = "failed"
        except Exception as exc:  # report, never kill the server
            job.error = f"{type(exc).__name__}: {exc}"
            job.state = "failed"
        finally:
            job.finished_at = time.time()
            if remove:
                path.unlink(missing_ok=True)


async def _save_upload(request: Request, limit: int) -> tuple[Path, str]:
    form = await request.form()
    item = form.get("video")
    if item is None or isinstance(item, str):
        raise ApiError(422, "missing_video", "multipart field 'video' with a video file is required")
    name = item.filename or "upload.mp4"
    suffix = Path(name).suffix.lower()
    fd, tmp = tempfile.mkstemp(prefix="faceatlas-video-", suffix=suffix if suffix in VIDEO_EXTENSIONS else ".mp4")
    size = 0
    with os.fdopen(fd, "wb") as fh:
        while chunk := await item.read(1 << 20):
            size += len(chunk)
            if size > limit:
                fh.close()
                os.unlink(tmp)
                raise ApiError(413, "too_large", f"video is over the {limit // (1024 * 1024)} MiB limit")
            fh.write(chunk)
    return Path(tmp), name


def _server_path(request: Request, raw: object) -> Path:
    if caller_role(request) != "admin":
        raise ApiError(403, "forbidden", "reading server-side files needs an admin key")
    roots = [os.path.realpath(r) for r in settings_of(request).roots]
    if not roots:
        raise ApiError(403, "forbidden", "this server was started without --root: server-side files are disabled")
    if not isinstance(raw, str) or not raw or "\x00" in raw:
        raise ApiError(422, "invalid_path", "JSON field 'path' must be a path under the server's roots")
    candidate = under_roots(raw, roots)
    if not candidate.is_file():
        raise ApiError(404, "not_found", f"{raw!r} is not a file")
    return Path(os.path.realpath(candidate))


@router.post("/video", status_code=202, dependencies=[Depends(require_read)])
async def start_video(request: Request) -> dict:
    """Track the faces of a video in the background; poll ``GET /v1/jobs/{id}`` for the result."""
    settings = settings_of(request)
    limit = settings.max_video_bytes
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        declared = int(request.headers.get("content-length") or 0)
        if declared > limit + 65536:
            raise ApiError(413, "too_large", f"video is over the {limit // (1024 * 1024)} MiB limit")
        path, label, remove = *(await _save_upload(request, limit)), True
    elif ctype.startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(422, "invalid_request", "body is not valid JSON") from None
        path = _server_path(request, body.get("path") if isinstance(body, dict) else None)
        label, remove = str(path), False
    else:
        raise ApiError(415, "unsupported_media_type", "send multipart/form-data (field 'video') or JSON {\"path\"}")
    runner = request.app.state.jobs
    job = VideoJob(runner.next_id(), label)
    runner.jobs[job.id] = job
    threading.Thread(
        target=run_video_job,
        args=(job, path, settings.db, request.app.state.analyzer.config, remove),
        daemon=True,
        name=f"video-{job.id}",
    ).start()
    return job.to_dict()
