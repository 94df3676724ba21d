"""Fixtures for the report tests: a headless Chromium driven through chromedriver (Debian's
`chromium` and `chromium-driver`, installed by .ci/run), and a way to open a report in it."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzer.report.png import find_browser

LOAD_TIMEOUT_S = 120  # a generous bound for a loaded CI machine; speed is measured in benchmarks


@dataclass
class Opened:
    """A report page loaded in the browser, and what loading it did."""

    url: str
    requests: list[str]  # every URL the page asked for, the page itself included
    console_errors: list[str]
    load_seconds: float


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """A headless Chromium (selenium WebDriver) with network and console logging."""
    browser = find_browser()
    driver_path = shutil.which("chromedriver")
    if browser is None or driver_path is None:
        pytest.fail("the report tests need Chromium and chromedriver: apt-get install chromium "
                    "chromium-driver (.ci/run installs them)")
    from selenium import webdriver  # noqa: PLC0415
    from selenium.webdriver.chrome.options import Options  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = Options()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--allow-file-access-from-files"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.set_page_load_timeout(LOAD_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


def open_report(driver, path: Path) -> Opened:  # type: ignore[no-untyped-def]
    """Load `path` and wait until its script has drawn every figure (body[data-ready])."""
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    driver.get_log("performance")  # drop what earlier pages logged
    driver.get_log("browser")
    url = path.resolve().as_uri()
    started = time.perf_counter()
    driver.get(url)
    state = WebDriverWait(driver, LOAD_TIMEOUT_S).until(
        lambda d: d.execute_script("return document.body && document.body.getAttribute('data-ready')"))
    seconds = time.perf_counter() - started
    assert state == "1", f"the page's script failed: {state}"
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    return Opened(url, requests, errors, seconds)


def count(driver, selector: str) -> int:  # type: ignore[no-untyped-def]
    return int(driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector))
