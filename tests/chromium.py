"""Headless Debian Chromium for the browser tests, started one way everywhere.

``start_chromium(profile_dir)`` returns a Selenium WebDriver on
``/usr/bin/chromium`` through ``/usr/bin/chromedriver`` (override with
``CHROMIUM_BINARY`` / ``CHROMEDRIVER``), in a fresh profile with the
networking extras off (this machine's network is closed). When Chromium is
missing the calling test is skipped with the reason, except in CI
(``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WINDOW = (1400, 900)
OPTIONS = (
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
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)


def in_ci() -> bool:
    """Whether the tests run in CI, where missing tools fail instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def start_chromium(profile_dir: Path) -> Any:
    """A headless Chromium WebDriver using ``profile_dir`` as its fresh profile."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        message = f"Chromium not installed: missing {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if in_ci():
            pytest.fail(message + "; CI=true, so the browser tests must run")
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (*OPTIONS, f"--user-data-dir={profile_dir}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver
