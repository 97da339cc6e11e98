"""A real browser for the ``browser`` tests: headless Debian Chromium driven by Selenium.

The ``browser`` fixture (session-scoped) starts ``/usr/bin/chromium``
through ``/usr/bin/chromedriver`` (override with ``CHROMIUM_BINARY`` /
``CHROMEDRIVER``) in a fresh profile with networking extras off. When
Chromium is missing the browser tests are skipped with the reason, except
in CI (``CI=true``), where a missing browser is an error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WINDOW = (1400, 900)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def browser(live_server: Any) -> Iterator[Any]:
    """A headless Chromium WebDriver shared by the session's browser tests.

    It depends on ``live_server`` so that it quits first: the server's
    request threads then close their keep-alive connections (and their
    database connections) while the server still shares its database.
    """
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        message = f"Chromium not installed: missing {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if _in_ci():
            pytest.fail(message + "; CI=true, so the browser tests must run")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="esper-rekall-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--autoplay-policy=no-user-gesture-required",
        f"--user-data-dir={profile}",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        time.sleep(0.5)  # let the server threads see the closed sockets
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``<repo>/artifacts`` (gitignored): screenshots of the browser tests."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
