"""Serve the built book on localhost, with the CDN scripts swapped for local npm copies.

The published pages load MathJax, require.js and the ipywidgets HTML manager from CDNs. The test
machine has no internet, so this server rewrites those URLs in every HTML page it serves to
``/__npm__/...`` and answers them from a local ``node_modules`` folder, filled from the npm
registry by :func:`ensure_npm_assets` (kept under ``.cache/npm``, outside git). Nothing is vendored.

Run by hand to look at the book offline::

    python -m tests.browser.server _build/html      # then open the printed address
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
NPM_PREFIX = REPO / ".cache" / "npm"
NPM_PACKAGES = ("mathjax@3", "@jupyter-widgets/html-manager", "requirejs")
#: Files that must exist under node_modules for the offline page to work.
NPM_FILES = (
    "mathjax/es5/tex-mml-chtml.js",
    "@jupyter-widgets/html-manager/dist/embed-amd.js",
    "requirejs/require.js",
)

# (pattern, replacement) applied to served HTML; the integrity hash of the CDN file cannot match
# a local copy, so it is dropped together with the URL.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"https://cdn\.jsdelivr\.net/npm/mathjax@3/es5/"),
        "/__npm__/mathjax/es5/",
    ),
    (
        re.compile(r"https://cdn\.jsdelivr\.net/npm/@jupyter-widgets/html-manager@[^/]+/dist/"),
        "/__npm__/@jupyter-widgets/html-manager/dist/",
    ),
    (
        re.compile(r'https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/[^/"]+/require\.min\.js'),
        "/__npm__/requirejs/require.js",
    ),
    (
        re.compile(r'data-jupyter-widgets-cdn="https://cdn\.jsdelivr\.net/npm/"'),
        'data-jupyter-widgets-cdn="/__npm__/"',
    ),
    (re.compile(r'\s+integrity="[^"]*"'), ""),
)


def rewrite_html(html: str) -> str:
    """Point the CDN script URLs of a page at the local ``/__npm__/`` copies."""
    for pattern, replacement in _REWRITES:
        html = pattern.sub(replacement, html)
    return html


def ensure_npm_assets(prefix: Path = NPM_PREFIX) -> Path:
    """Return ``prefix/node_modules``, installing the npm packages there first if they are missing.

    Raises RuntimeError with the reason when npm is not available or the install fails.
    """
    modules = prefix / "node_modules"
    if all((modules / f).is_file() for f in NPM_FILES):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: cannot fetch MathJax and the widget manager")
    prefix.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--no-audit", "--no-fund", "--prefix", str(prefix), *NPM_PACKAGES]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    missing = [f for f in NPM_FILES if not (modules / f).is_file()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"`{' '.join(cmd)}` failed (missing {missing}):\n{proc.stderr[-2000:]}")
    return modules


class _Handler(SimpleHTTPRequestHandler):
    """Serves the site root; ``/__npm__/`` from node_modules; HTML pages rewritten."""

    def __init__(self, *args: Any, site: Path, modules: Path, **kwargs: Any) -> None:
        self.site = site
        self.modules = modules
        super().__init__(*args, directory=str(site), **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return  # keep test output quiet

    def translate_path(self, path: str) -> str:
        if path.startswith("/__npm__/"):
            rel = path[len("/__npm__/") :].split("?", 1)[0].split("#", 1)[0]
            target = (self.modules / rel).resolve()
            if self.modules.resolve() in target.parents:
                return str(target)
            return str(self.modules / "__forbidden__")
        return super().translate_path(path)

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            body = rewrite_html(path.read_text(encoding="utf-8")).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().send_head()


@contextmanager
def serve(site: Path, modules: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port) in a background thread; yield the base URL."""
    handler = functools.partial(_Handler, site=site, modules=modules)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def main() -> None:
    """Serve a built book by hand: ``python -m tests.browser.server [_build/html]``."""
    site = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "_build" / "html").resolve()
    modules = ensure_npm_assets()
    with serve(site, modules) as url:
        print(f"serving {site} at {url}/ (Ctrl-C to stop)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
