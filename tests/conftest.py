"""Shared fixtures: real face images that ship inside installed packages, and ../shared/data."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("FACEATLAS_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """Eileen Collins, NASA portrait (scikit-image sample data), 512x512 RGB."""
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def grace_hopper_path() -> Path:
    """Grace Hopper portrait shipped with matplotlib."""
    from matplotlib import cbook

    return Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"../shared/data not found at {SHARED_DATA} (set FACEATLAS_SHARED_DATA); real-data tests skipped")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Keep every test's atlas and caches out of the user's real data dir; models stay visible."""
    from faceatlas.models.registry import model_dirs

    dirs = os.pathsep.join(str(d) for d in model_dirs())
    monkeypatch.setenv("FACEATLAS_MODELS_DIR", dirs)
    monkeypatch.setenv("FACEATLAS_HOME", str(tmp_path_factory.mktemp("home")))
    monkeypatch.delenv("FACEATLAS_DB", raising=False)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's chromium + chromedriver, Selenium); skips where they are missing."""
    if not (CHROMIUM and DRIVER):
        pytest.skip("chromium and chromedriver are not installed (scripts/test.sh installs Debian's packages)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--disable-gpu"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
