"""Service settings, fixed at start-up."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServiceSettings:
    db: Path
    host: str = "127.0.0.1"
    port: int = 8000
    roots: tuple[Path, ...] = ()  # folders POST /v1/scan may read
    allowed_hosts: tuple[str, ...] = ()  # Host names accepted besides loopback when no keys are required
    require_keys: bool | None = None  # None: required exactly when not bound to loopback
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_video_bytes: int = 500 * 1024 * 1024  # POST /v1/video uploads
    request_timeout_s: float = 60.0
    heavy_concurrency: int = field(default_factory=lambda: os.cpu_count() or 2)
    heavy_queue: int = 256  # heavy requests allowed to wait for a slot; more get 503
    analysis_processes: int = field(default_factory=lambda: os.cpu_count() or 2)  # 0: threads in-process

    @property
    def max_body_bytes(self) -> int:
        """Largest request body: two images in base64 (4/3 larger) plus room for the rest of the form."""
        return self.max_upload_bytes * 8 // 3 + 1024 * 1024

    @property
    def keys_required(self) -> bool:
        return (not is_loopback(self.host)) if self.require_keys is None else self.require_keys
