"""A real browser for the ``browser`` tests: headless Debian Chromium driven by Selenium.

The ``browser`` fixture (session-scoped) starts Chromium through
``tests.chromium.start_chromium`` (skipped when missing, a failure in CI).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import start_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="session")
def browser(live_server: Any) -> Iterator[Any]:
    """A headless Chromium WebDriver shared by the session's browser tests.

    It depends on ``live_server`` so that it quits first: the server's
    request threads then close their keep-alive connections (and their
    database connections) while the server still shares its database.
    """
    profile = tempfile.mkdtemp(prefix="esper-rekall-chromium-")
    driver = start_chromium(Path(profile))
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
