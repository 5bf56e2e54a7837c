"""The FastAPI application: REST under /v1, the web page at /, OpenAPI at /docs, /healthz."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from faceatlas import __version__
from faceatlas.index import FaceIndex
from faceatlas.pipeline import FaceAnalyzer
from faceatlas.service import api, people_app, web
from faceatlas.service.errors import install_handlers
from faceatlas.service.heavy import HeavyGate
from faceatlas.service.jobs import JobRunner
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
    Atlas(settings.db).close()  # create / migrate before serving

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        app.state.gate.close()

    app = FastAPI(
        title="faceatlas",
        version=__version__,
        lifespan=lifespan,
        description="Offline face identity: detect, analyze, verify, search, and the people of an atlas.",
    )
    app.state.settings = settings
    app.state.analyzer = analyzer or FaceAnalyzer()
    app.state.gate = HeavyGate(
        settings.heavy_concurrency, settings.heavy_queue, settings.request_timeout_s, settings.analysis_processes
    )
    app.state.jobs = JobRunner(settings.db, list(settings.roots))
    app.state.index_for = IndexCache()
    install_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok", "version": __version__}

    app.include_router(people_app.router)  # before api: /v1/people/{id} DELETE etc. live there
    app.include_router(api.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).with_name("static"))), name="static")
    return app
