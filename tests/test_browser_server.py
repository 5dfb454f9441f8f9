"""Unit tests of the browser test's local server (no browser needed)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser.server import RequestLog, serve


def _get(url: str) -> bytes:
    """The body of ``url``, with the connection closed (no socket left for the GC)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
    return body


PAGE = '<html><head><script src="_static/vendor/require.js"></script></head><body>x</body></html>'


def test_server_serves_pages_unchanged_and_logs_requests(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "sub" / "page.html").write_text(PAGE, encoding="utf-8")
    (site / "index.html").write_text("<p>home</p>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("no", encoding="utf-8")
    log = RequestLog()
    with serve(site, log) as url:
        assert url.startswith("http://127.0.0.1:")
        assert _get(f"{url}/sub/page.html").decode() == PAGE
        assert b"home" in _get(f"{url}/")
        for missing in ("/sub/nothing.woff2", "/../secret.txt"):
            with pytest.raises(urllib.error.HTTPError) as err:
                _get(f"{url}{missing}")
            err.value.close()
            assert err.value.code == 404
    assert ("/sub/page.html", 200) in log.entries and ("/", 200) in log.entries
    assert log.failed() == [
        ("/sub/nothing.woff2", 404),
        ("/../secret.txt", 404),
    ]
    log.clear()
    assert log.entries == []
