"""Serve the built book on localhost exactly as it was built, and note every request.

The built site is self-contained: MathJax, require.js and the widget manager are copied into
``_static/vendor`` by the build (``book/_ext/optcourse_site.py``), so this server changes nothing in
the pages it serves. It records each request's path and status, so a test can see which files a
page asked for and which of them were missing.

Run by hand to look at the book offline::

    python -m tests.browser.server _build/html      # then open the printed address
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
#: Where ``make npm-assets`` installs the npm packages (the browser test takes axe-core from here).
NPM_MODULES = REPO / ".cache" / "npm" / "node_modules"
AXE_JS = NPM_MODULES / "axe-core" / "axe.min.js"


@dataclass
class RequestLog:
    """The (path, status) of every request the server answered, in order; thread-safe."""

    entries: list[tuple[str, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, path: str, status: int) -> None:
        with self._lock:
            self.entries.append((path, status))

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()

    def failed(self) -> list[tuple[str, int]]:
        """The requests answered with an error status (400 or more)."""
        with self._lock:
            return [(p, s) for p, s in self.entries if s >= 400]


class _Handler(SimpleHTTPRequestHandler):
    """Serves the site's files unchanged and records each request in ``log``."""

    def __init__(self, *args: Any, site: Path, log: RequestLog, **kwargs: Any) -> None:
        self.log = log
        super().__init__(*args, directory=str(site), **kwargs)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return  # keep test output quiet

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = code.value if hasattr(code, "value") else code
        self.log.add(self.path, int(status) if str(status).isdigit() else 0)


@contextmanager
def serve(site: Path, log: RequestLog | None = None) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port) in a background thread; yield the base URL."""
    handler = functools.partial(_Handler, site=site, log=log if log is not None else RequestLog())
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
    with serve(site) as url:
        print(f"serving {site} at {url}/ (Ctrl-C to stop)")
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
