"""Where faceatlas keeps its files by default (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path


def user_data_dir() -> Path:
    """``$FACEATLAS_HOME`` if set, else ``$XDG_DATA_HOME/faceatlas`` (``~/.local/share/faceatlas``)."""
    home = os.environ.get("FACEATLAS_HOME")
    return Path(home) if home else default_data_dir()


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/faceatlas`` (``~/.local/share/faceatlas``), whatever FACEATLAS_HOME says."""
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "faceatlas"


def default_db_path() -> Path:
    """``$FACEATLAS_DB`` if set, else ``atlas.sqlite3`` in the user data dir."""
    env = os.environ.get("FACEATLAS_DB")
    return Path(env) if env else user_data_dir() / "atlas.sqlite3"


def demo_db_path() -> Path:
    """The demo atlas the sample faces go to (``demo.sqlite3`` in the user data dir), never the
    user's own atlas."""
    return user_data_dir() / "demo.sqlite3"
