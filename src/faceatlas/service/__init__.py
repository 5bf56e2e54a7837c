"""The HTTP service: REST API under /v1 and the people web page, from one FastAPI app."""

from faceatlas.service.app import create_app
from faceatlas.service.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
