"""The chapter 2 page in a real headless Chromium: math renders, the explorer reacts to η.

The built book (``make book`` → ``_build/html``) is served on localhost by a thread of this test,
with the CDN scripts (MathJax, require.js, the ipywidgets manager) swapped for local copies from the
npm registry (see ``tests/browser/server.py``). Debian's ``chromium`` is driven through Debian's
``chromedriver`` with Selenium. Without Chromium the test fails under CI (``CI=true``) and is
skipped locally with the reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.server import REPO, ensure_npm_assets, serve

BUILD = Path(os.environ.get("OPTCOURSE_BUILD_DIR", REPO / "_build")).resolve()
SITE = BUILD / "html"
CHAPTER2 = "notebooks/02_gradient_descent_x2.html"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1600",
    # Only localhost exists for this browser: any other host fails at once instead of hanging.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


def _missing(reason: str) -> None:
    """Fail under CI, skip on a developer's machine."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def _find(*names: str) -> str | None:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A Selenium-driven headless Chromium (Debian's packages), closed after the module."""
    chromium = _find("chromium", "chromium-browser")
    driver_path = _find("chromedriver")
    if chromium is None or driver_path is None:
        _missing(
            "Debian's chromium and chromium-driver are needed: "
            "apt-get install chromium chromium-driver"
        )
    try:
        from selenium import webdriver
    except ImportError:
        _missing("selenium is needed: pip install -e '.[test]'")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="optcourse-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    if not (SITE / CHAPTER2).is_file():
        pytest.fail(f"{SITE / CHAPTER2} is missing: run `make book` first to build the book")
    try:
        modules = ensure_npm_assets()
    except RuntimeError as err:
        pytest.fail(f"offline copies of MathJax and the widget manager are unavailable: {err}")
    with serve(SITE, modules) as url:
        yield url


def _wait(driver: object, predicate, timeout: float = 30.0, what: str = "condition"):  # type: ignore[no-untyped-def]
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(predicate)
    except TimeoutException:
        pytest.fail(f"timed out after {timeout} s waiting for {what}")


def test_chapter2_math_and_explorer(browser, site_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.get(f"{site_url}/{CHAPTER2}")
    assert "Gradient descent" in driver.title

    # MathJax 3 (served locally) has typeset the equations: its output elements are in the page.
    _wait(
        driver,
        lambda d: d.execute_script("return document.querySelectorAll('mjx-container').length") > 10,
        what="MathJax output",
    )
    n_display = driver.execute_script(
        "return document.querySelectorAll('mjx-container[display=\"true\"]').length"
    )
    assert n_display >= 3, "the display equations (update rule, factor, closed form) must render"
    assert not driver.find_elements(By.CSS_SELECTOR, "mjx-merror"), "MathJax reported a TeX error"

    # The explorer is on the page, visible, and its script has drawn a path.
    explorer = driver.find_element(By.CSS_SELECTOR, ".optcourse-explorer")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", explorer)
    assert explorer.is_displayed() and explorer.size["height"] > 200
    steps = explorer.find_element(By.CSS_SELECTOR, "polyline.oc-steps")
    iterates = explorer.find_element(By.CSS_SELECTOR, "polyline.oc-iterates")
    eta = explorer.find_element(By.CSS_SELECTOR, "input.oc-eta")
    x0 = explorer.find_element(By.CSS_SELECTOR, "input.oc-x0")
    readout = explorer.find_element(By.CSS_SELECTOR, ".oc-readout")

    def state() -> tuple[str, str, str, str, int]:
        balls = len(explorer.find_elements(By.CSS_SELECTOR, ".oc-balls circle"))
        return (
            explorer.get_attribute("data-eta"),
            steps.get_attribute("points"),
            iterates.get_attribute("points"),
            readout.text,
            balls,
        )

    eta0, path0, iter0, text0, balls0 = state()
    assert eta0 == "0.1" and path0.count(",") == 21 and balls0 == 21
    assert "converging monotonically" in text0
    driver.save_screenshot(str(tmp_path / "explorer_before.png"))

    # Drag η with the keyboard, as a reader would: seven notches right is 0.1 -> 0.24.
    for _ in range(7):
        eta.send_keys(Keys.ARROW_RIGHT)
    eta1, path1, iter1, text1, _ = state()
    assert eta1 == "0.24" and path1 != path0 and iter1 != iter0 and text1 != text0

    # Past η = 0.5 the path zig-zags, at the right end (η = 1.2) the ball flies off.
    set_index = "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));"
    driver.execute_script(set_index, eta, "40")  # grid index 40 is η = 0.8
    assert explorer.get_attribute("data-eta") == "0.8"
    assert "oscillating, converging" in readout.text
    eta.send_keys(Keys.END)
    eta_end, path_end, _, text_end, balls_end = state()
    assert eta_end == "1.2" and "diverging" in text_end and "left the picture" in text_end
    assert path_end != path1 and balls_end < 21

    # The start slider moves the path too.
    x0.send_keys(Keys.HOME)
    assert explorer.get_attribute("data-x0") == "-5"
    assert state()[1] != path_end
    driver.save_screenshot(str(tmp_path / "explorer_after.png"))

    # No script on the page failed (network errors for absent favicons etc. are not scripts).
    logs = driver.get_log("browser")
    errors = [e["message"] for e in logs if e["level"] == "SEVERE" and "Uncaught" in e["message"]]
    assert not errors, errors
