"""The built book in a real headless Chromium, with the network off.

The built book (``make book`` → ``_build/html``) is served as it is, on localhost, by a thread of
this test: MathJax and the widget scripts are part of the site (``_static/vendor``), so nothing is
rewritten. The browser resolves no host but 127.0.0.1 (``--host-resolver-rules``), and every page
is checked for requests it even tried to send elsewhere and for local files it asked for in vain.
On every page axe-core (npm, installed by ``make npm-assets``) checks accessibility, and no code
block may need horizontal scrolling at 1280 px. On chapter 2, math renders and the explorer reacts
to η. Debian's ``chromium`` is driven through Debian's ``chromedriver`` with Selenium. Without
them the test fails, naming what to install (``make test`` installs them as root with apt, see
``.ci/system-deps``). ``OPTCOURSE_SKIP_BROWSER=1`` skips it on purpose; the summary says so.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.book import built_site
from tests.browser.server import AXE_JS, RequestLog, serve

#: Set to 1 to skip the browser test on purpose (``OPTCOURSE_SKIP_BROWSER=1 make test``).
SKIP_VARIABLE = "OPTCOURSE_SKIP_BROWSER"
pytestmark = pytest.mark.skipif(
    os.environ.get(SKIP_VARIABLE) == "1", reason=f"browser test skipped: {SKIP_VARIABLE}=1"
)
SITE = built_site()
CHAPTER2 = "notebooks/02_gradient_descent_x2.html"
CHAPTER4 = "notebooks/04_curvature_conditioning.html"
CHAPTER8 = "notebooks/08_adaptive_methods.html"
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
#: Every page of the built site (the theme's HTML snippets under _static are not pages).
PAGES = sorted(
    p.relative_to(SITE).as_posix()
    for p in SITE.rglob("*.html")
    if p.relative_to(SITE).parts[0] not in ("_static", "_sources", "_images")
)
#: Code blocks and printed outputs: none may need a horizontal scroll bar at 1280 px.
CODE_BLOCKS = "div.highlight pre, div.cell_output pre, div.output pre"


class Known(NamedTuple):
    """An axe-core violation the project's own content does not cause: rule, where, why."""

    rule: str
    selector: str  # a regular expression matched against axe's CSS selector of the element
    why: str


#: Violations that come from the theme (sphinx-book-theme / pydata-sphinx-theme), from Sphinx's
#: HTML writer or from myst-nb's markup, not from anything the book's authors write or configure.
THEME_VIOLATIONS: tuple[Known, ...] = (
    Known(
        "label-content-name-mismatch",
        r"search-button__button\[aria-label=\"Search\"\]$",
        "pydata-sphinx-theme's search button shows 'Search Ctrl+K' but is labelled 'Search'",
    ),
    Known(
        "label-content-name-mismatch",
        r"(^|[ >])\.(theme-switch-button|nav-link)$",
        "pydata-sphinx-theme's colour-mode button: labelled 'Color mode', its text differs",
    ),
    Known(
        "label-content-name-mismatch",
        r"\.tag_hide-input\.cell\.container(:nth-child\(\d+\))? > details > summary$",
        "myst-nb's 'Show code cell source' toggle is labelled 'Toggle hidden content'",
    ),
    Known(
        "region",
        r"^\.sidebar-primary-items__start > \.sidebar-primary-item:nth-child\(1\)$",
        "the theme puts the book's title/logo in the sidebar outside any landmark",
    ),
    Known(
        "aria-allowed-role",
        r"^#id\d+$",
        "Sphinx's HTML writer gives each bibliography entry role=doc-biblioentry (on a div)",
    ),
    Known(
        "aria-deprecated-role",
        r"^#id\d+$",
        "Sphinx's HTML writer uses doc-biblioentry, deprecated since DPUB-ARIA 1.1",
    ),
    Known(
        "aria-required-children",
        r"^\.citation-list$",
        "Sphinx's citation list has role=list but its entries are doc-biblioentry, not listitem",
    ),
)


def _missing(reason: str) -> None:
    """A missing browser piece fails the test, naming what to install."""
    pytest.fail(f"{reason} (or set {SKIP_VARIABLE}=1 to skip the browser test)")


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
    # "performance" logs every network request the page makes (Chrome DevTools events)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = webdriver.ChromeService(executable_path=driver_path)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, RequestLog]]:
    """The built site served as it is: (base URL, log of the requests the server answered)."""
    if not (SITE / CHAPTER2).is_file():
        pytest.fail(f"{SITE / CHAPTER2} is missing: run `make book` first to build the book")
    log = RequestLog()
    with serve(SITE, log) as url:
        yield url, log


@pytest.fixture(scope="module")
def site_url(served: tuple[str, RequestLog]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `make npm-assets` (needs npm) to install axe-core")
    return AXE_JS.read_text(encoding="utf-8")


def _open(driver: Any, url: str, log: RequestLog) -> None:
    """Load ``url`` afresh and wait until it has loaded and MathJax (if any) has typeset."""
    driver.get_log("performance")  # drop the events of earlier pages
    log.clear()
    driver.get(url)
    _wait(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    driver.set_script_timeout(30)
    driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "var mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;"
        "(mj || Promise.resolve()).then(function () { done(true); }, function () { done(false); });"
    )


def _outside_requests(driver: Any, base: str) -> list[str]:
    """URLs the page tried to fetch from anywhere but the local server (blocked or not)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if re.match(r"(?i)(https?|wss?|ftp):", url) and not url.startswith(base + "/"):
                urls.append(url)
    return urls


def _unexplained(violations: list[dict[str, Any]]) -> list[str]:
    """The axe violations (rule: selector) that no entry of the allow-lists explains."""
    known = THEME_VIOLATIONS
    left = []
    for violation in violations:
        for target in violation["targets"]:
            if not any(k.rule == violation["id"] and re.search(k.selector, target) for k in known):
                left.append(f"{violation['id']} ({violation['help']}): {target}")
    return left


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
    # screen readers hear the value of η and x₀, not the sliders' grid index
    assert eta.get_attribute("aria-valuetext") == "η = 0.1"
    assert x0.get_attribute("aria-valuetext") == "x₀ = 5"
    assert "converging monotonically" in text0
    driver.save_screenshot(str(tmp_path / "explorer_before.png"))

    # Drag η with the keyboard, as a reader would: seven notches right is 0.1 -> 0.24.
    for _ in range(7):
        eta.send_keys(Keys.ARROW_RIGHT)
    eta1, path1, iter1, text1, _ = state()
    assert eta1 == "0.24" and path1 != path0 and iter1 != iter0 and text1 != text0
    assert eta.get_attribute("value") == "12" and eta.get_attribute("aria-valuetext") == "η = 0.24"

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
    assert x0.get_attribute("aria-valuetext") == "x₀ = -5"
    assert state()[1] != path_end
    driver.save_screenshot(str(tmp_path / "explorer_after.png"))

    # No script on the page failed (network errors for absent favicons etc. are not scripts).
    logs = driver.get_log("browser")
    errors = [e["message"] for e in logs if e["level"] == "SEVERE" and "Uncaught" in e["message"]]
    assert not errors, errors


def test_chapter4_plane_explorer(browser, site_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Chapter 4's 2-D explorer draws contours and a path; each slider changes path or regime."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.get(f"{site_url}/{CHAPTER4}")
    explorer = driver.find_element(By.CSS_SELECTOR, ".optcourse-plane-explorer")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", explorer)
    assert explorer.is_displayed() and explorer.size["height"] > 200
    path = explorer.find_element(By.CSS_SELECTOR, "polyline.oc-path")
    readout = explorer.find_element(By.CSS_SELECTOR, ".oc-readout")
    eta = explorer.find_element(By.CSS_SELECTOR, "input.oc-choice-eta")
    kappa = explorer.find_element(By.CSS_SELECTOR, "input.oc-choice-kappa")
    start = explorer.find_element(By.CSS_SELECTOR, "input.oc-choice-start")

    def state() -> tuple[str, str, str, int]:
        contours = len(explorer.find_elements(By.CSS_SELECTOR, ".oc-contours polyline"))
        return (
            path.get_attribute("points"),
            readout.text,
            explorer.get_attribute("data-regime"),
            contours,
        )

    path0, text0, regime0, contours0 = state()
    assert path0.count(",") == 31 and contours0 >= 5  # 30 steps on the contour lines of kappa = 10
    assert regime0 == "oscillating" and "Behaviour: oscillating" in text0
    assert eta.get_attribute("aria-valuetext") == "0.9 × 2/λmax"
    driver.save_screenshot(str(tmp_path / "plane_before.png"))

    eta.send_keys(Keys.END)  # 1.1 × 2/λmax: past the stability limit
    path1, text1, regime1, _ = state()
    assert regime1 == "diverging" and "Behaviour: diverging" in text1 and path1 != path0
    assert eta.get_attribute("aria-valuetext") == "1.1 × 2/λmax"
    for _ in range(8):
        eta.send_keys(Keys.ARROW_LEFT)  # back to 0.5 × 2/λmax (1.1, 1.02, 1, 0.95, 0.9, ...)
    assert eta.get_attribute("aria-valuetext") == "0.5 × 2/λmax" and state()[2] == "converging"

    kappa.send_keys(Keys.HOME)  # kappa = 1: circles, a different picture
    path2, _, _, _ = state()
    assert kappa.get_attribute("aria-valuetext") == "1" and path2 not in (path0, path1)
    start.send_keys(Keys.ARROW_RIGHT)
    assert state()[0] != path2 and "start=(4, -2)" in explorer.get_attribute("data-state")
    driver.save_screenshot(str(tmp_path / "plane_after.png"))
    logs = driver.get_log("browser")
    errors = [e["message"] for e in logs if e["level"] == "SEVERE" and "Uncaught" in e["message"]]
    assert not errors, errors


def test_chapter8_optimizer_race(browser, site_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Chapter 8's race: objective, optimizer and rate change the contours, path and loss curve."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.get(f"{site_url}/{CHAPTER8}")
    race = driver.find_element(By.CSS_SELECTOR, ".optcourse-plane-explorer")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", race)
    assert race.is_displayed() and race.size["height"] > 300
    path = race.find_element(By.CSS_SELECTOR, "polyline.oc-path")
    loss = race.find_element(By.CSS_SELECTOR, "polyline.oc-loss")
    marks = race.find_element(By.CSS_SELECTOR, "path.oc-min")
    readout = race.find_element(By.CSS_SELECTOR, ".oc-readout")
    objective, optimizer, lr = (
        race.find_element(By.CSS_SELECTOR, f"input.oc-choice-{key}")
        for key in ("objective", "optimizer", "lr")
    )

    def state() -> tuple[str, str, str, str, str]:
        first = race.find_element(By.CSS_SELECTOR, ".oc-contours polyline")
        return (
            path.get_attribute("points"),
            loss.get_attribute("points"),
            first.get_attribute("points"),
            readout.text,
            race.get_attribute("data-state"),
        )

    path0, loss0, contour0, text0, state0 = state()
    assert state0 == "objective=Rosenbrock;optimizer=Adam;lr=0.1"
    assert path0.count(",") == 61 and loss0.count(",") == 61  # 240 steps, every fourth stored
    assert "After 240 steps" in text0 and "Status: still running." in text0
    assert marks.get_attribute("d").count("M") == 2  # one minimizer: one cross of two strokes
    driver.save_screenshot(str(tmp_path / "race_before.png"))

    objective.send_keys(Keys.END)  # Himmelblau: other contours, four minimizers, another run
    path1, loss1, contour1, text1, state1 = state()
    assert state1 == "objective=Himmelblau;optimizer=Adam;lr=0.1"
    assert contour1 != contour0 and path1 != path0 and loss1 != loss0
    assert marks.get_attribute("d").count("M") == 8 and "Status: converged" in text1
    optimizer.send_keys(Keys.HOME)  # GD: the rate slider now shows GD's own rates
    assert lr.get_attribute("aria-valuetext") == "0.01" and state()[0] != path1
    lr.send_keys(Keys.END)  # GD's fastest rate on Himmelblau is past its edge
    _, loss2, _, text2, state2 = state()
    assert state2 == "objective=Himmelblau;optimizer=GD;lr=0.05" and "Status: diverged." in text2
    assert race.get_attribute("data-regime") == "diverging" and loss2 != loss1
    driver.save_screenshot(str(tmp_path / "race_after.png"))
    logs = driver.get_log("browser")
    errors = [e["message"] for e in logs if e["level"] == "SEVERE" and "Uncaught" in e["message"]]
    assert not errors, errors


@pytest.mark.parametrize("page", PAGES or ["(no built site)"])
def test_page_offline_accessible_and_code_fits(  # type: ignore[no-untyped-def]
    browser, served: tuple[str, RequestLog], axe_source: str, page: str
) -> None:
    """Every page: nothing from other hosts, no missing file, no axe violation, no code scroll."""
    if not PAGES:
        pytest.fail(f"{SITE} has no pages: run `make book` first")
    base, log = served
    driver = browser
    _open(driver, f"{base}/{page}", log)
    if page == "index.html":  # the root page sends the reader on to the first page
        _wait(driver, lambda d: d.current_url != f"{base}/index.html", what="the redirect")
        _open(driver, driver.current_url, log)

    outside = _outside_requests(driver, base)
    assert not outside, f"{page} tried to load from other hosts: {outside}"
    assert not log.failed(), f"{page} asked for files the site does not have: {log.failed()}"
    errors = [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "Uncaught" in e["message"]
    ]
    assert not errors, f"{page}: script errors {errors}"
    assert not driver.find_elements("css selector", "mjx-merror"), f"{page}: a TeX error"

    too_wide = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".filter(function (e) { return e.scrollWidth > e.clientWidth + 1; })"
        ".map(function (e) { return e.scrollWidth + ' > ' + e.clientWidth + ' px: '"
        " + e.textContent.split('\\n').reduce(function (a, b) {"
        " return a.length >= b.length ? a : b; }, ''); });",
        CODE_BLOCKS,
    )
    assert not too_wide, f"{page}: code blocks need horizontal scrolling at 1280 px: {too_wide}"

    driver.execute_script(axe_source)
    violations = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (r) {"
        " done(r.violations.map(function (v) { return {id: v.id, help: v.help,"
        " targets: v.nodes.map(function (n) { return n.target.join(' '); })}; })); },"
        " function (err) { done([{id: 'axe-error', help: String(err), targets: ['']}]); });"
    )
    left = _unexplained(violations)
    assert not left, f"{page}: accessibility violations:\n" + "\n".join(left)


_WIDGET_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>widget check</title>
<link rel="icon" href="../_static/favicon.svg">
<script src="../_static/vendor/require.js"></script>
<script src="../_static/widgets-setup.js"></script>
<script src="../_static/vendor/html-manager/embed-amd.js"></script>
<script type="application/vnd.jupyter.widget-state+json">{state}</script>
</head><body><main><h1>widget check</h1>
<!-- the manager's style sheet sets the .fa icon font, which the theme's icons use too: this is
how chapter 2 came to ask for six font files that were not there -->
<span class="fa fa-check" aria-hidden="true"></span>
<script type="application/vnd.jupyter.widget-view+json">{view}</script>
</main></body></html>
"""


def test_a_shown_widget_works_offline(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A page that shows an ipywidget (none does today) works with the site's own scripts.

    The page is made from chapter 2's executed live explorer (its widget state and view) and
    loads exactly the scripts myst-nb adds to such a page (``nb_ipywidgets_js``) from the built
    ``_static``: the widgets render, and the manager's icon fonts load from the site.
    """
    from tests.test_book_build import _executed_notebook

    if not (SITE / CHAPTER2).is_file():
        pytest.fail(f"{SITE / CHAPTER2} is missing: run `make book` first to build the book")
    nb = _executed_notebook("notebooks/02_gradient_descent_x2")
    state = nb["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]
    views = [
        out["data"]["application/vnd.jupyter.widget-view+json"]
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
    ]
    assert views, "chapter 2 no longer makes a live widget"
    (tmp_path / "_static").symlink_to(SITE / "_static", target_is_directory=True)
    (tmp_path / "notebooks").mkdir()
    page = _WIDGET_PAGE.format(
        state=json.dumps(state).replace("</", "<\\/"), view=json.dumps(views[0])
    )
    (tmp_path / "notebooks" / "widget.html").write_text(page, encoding="utf-8")

    driver, log = browser, RequestLog()
    with serve(tmp_path, log) as base:
        _open(driver, f"{base}/notebooks/widget.html", log)
        _wait(
            driver,
            lambda d: (
                d.execute_script("return document.querySelectorAll('.widget-slider').length") >= 2
            ),
            what="the explorer's two sliders",
        )
        _wait(driver, lambda d: any(".woff" in p for p, _ in log.entries), what="icon fonts")
        outside = _outside_requests(driver, base)
    assert not outside, f"the widget page tried to load from other hosts: {outside}"
    assert not log.failed(), f"the widget page asked for missing files: {log.failed()}"
    fonts = [p for p, status in log.entries if ".woff" in p and "html-manager" in p]
    assert fonts and all(p.startswith("/_static/vendor/html-manager/") for p in fonts), fonts
    errors = [
        e["message"]
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "Uncaught" in e["message"]
    ]
    assert not errors, errors
