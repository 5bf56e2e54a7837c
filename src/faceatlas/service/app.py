"""The FastAPI application: REST under /v1, the web page at /, OpenAPI at /docs, /healthz."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from faceatlas import __version__
from faceatlas.index import FaceIndex
from faceatlas.index.search import atlas_embedder
from faceatlas.pipeline import AnalyzerConfig, FaceAnalyzer
from faceatlas.service import api, people_app, video, web
from faceatlas.service.errors import SafeJSONResponse, install_handlers
from faceatlas.service.heavy import HeavyGate
from faceatlas.service.jobs import JobRunner
from faceatlas.service.limits import BodyLimitMiddleware
from faceatlas.service.origin import LoopbackGuard
from faceatlas.service.settings import ServiceSettings
from faceatlas.store import Atlas


class IndexCache:
    """The FAISS index, reused until the store's faces change (checked with one aggregate query)."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._index: FaceIndex | None = None
        self._lock = threading.Lock()

    def __call__(self, atlas: Atlas) -> FaceIndex:
        key = tuple(atlas.faces.fingerprint())
        with self._lock:
            if key != self._key or self._index is None:
                self._index, self._key = FaceIndex.open(atlas), key
            return self._index


def create_app(settings: ServiceSettings, analyzer: FaceAnalyzer | None = None) -> FastAPI:
    with Atlas(settings.db) as atlas:  # create / migrate before serving; analyse in the atlas's space
        embedder = atlas_embedder(atlas)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.gate.close()

    app = FastAPIOffline(  # FastAPI whose /docs and /redoc assets ship in a package: they work offline
        title="faceatlas",
        version=__version__,
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
        description="Offline face identity: detect, analyze, verify, search, and the people of an atlas.",
    )
    app.state.settings = settings
    app.state.analyzer = analyzer or FaceAnalyzer(AnalyzerConfig(embedder=embedder))
    app.state.gate = HeavyGate(
        settings.heavy_concurrency, settings.heavy_queue, settings.request_timeout_s, settings.analysis_processes
    )
    app.state.jobs = JobRunner(settings.db, list(settings.roots))
    app.state.index_for = IndexCache()
    install_handlers(app)
    # videos stream to disk under their own limit (plus room for the form), photos under theirs
    video_body = max(settings.max_body_bytes, settings.max_video_bytes + 1024 * 1024)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, paths={"/v1/video": video_body})
    if not settings.keys_required:  # keyless: only loopback names, no cross-site writes
        app.add_middleware(LoopbackGuard, allowed_hosts=settings.allowed_hosts)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        """Up, and the analysis workers' state (a dead worker's pool is replaced on this call)."""
        return {"status": "ok", "version": __version__, "analysis": app.state.gate.health()}

    app.include_router(people_app.router)  # before api: /v1/people/{id} DELETE etc. live there
    app.include_router(api.router)
    app.include_router(video.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")
    return app
