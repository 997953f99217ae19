"""A real headless Chromium for the tests (selenium with the OS's chromium and chromedriver).

Without a browser the tests that need one are skipped, saying why; with
``BPDRILL_REQUIRE_BROWSER=1`` (CI's .ci/run sets it after installing the browser) they fail instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1100,1400")


def missing() -> str | None:
    """Why no browser can be driven here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for exe, package in (("chromium", "chromium"), ("chromedriver", "chromium-driver")):
        if not shutil.which(exe):
            return f"{exe} not found (apt-get install {package})"
    return None


def require() -> None:
    """Skip (or, under BPDRILL_REQUIRE_BROWSER=1, fail) the calling test when there is no browser."""
    why = missing()
    if why is None:
        return
    if os.environ.get("BPDRILL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"BPDRILL_REQUIRE_BROWSER=1 but no browser: {why}")
    pytest.skip(f"no browser: {why}")


def chromium(downloads: Path):
    """A fresh Chromium (its own profile folder) that saves downloads into ``downloads``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='bpdrill-chromium-')}")
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def downloaded(folder: Path, name: str, timeout: float = 20.0) -> Path:
    """The file ``name`` once the browser has finished writing it into ``folder``."""
    path, end = folder / name, time.monotonic() + timeout
    while time.monotonic() < end:
        if path.is_file() and not list(folder.glob("*.crdownload")):
            return path
        time.sleep(0.1)
    raise AssertionError(f"no {name} downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}")
