"""Unit tests of the browser test's local server (no browser needed)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser.server import rewrite_html, serve

PAGE = """<html><head>
<script defer="defer" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>
<script crossorigin="anonymous" integrity="sha256-abc="
 src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js"></script>
<script data-jupyter-widgets-cdn="https://cdn.jsdelivr.net/npm/"
 src="https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.6/dist/embed-amd.js"></script>
</head><body>x</body></html>"""


def test_rewrite_points_every_cdn_script_at_local_copies() -> None:
    out = rewrite_html(PAGE)
    assert "https://" not in out and "integrity" not in out
    assert 'src="/__npm__/mathjax/es5/tex-mml-chtml.js"' in out
    assert 'src="/__npm__/requirejs/require.js"' in out
    assert 'src="/__npm__/@jupyter-widgets/html-manager/dist/embed-amd.js"' in out
    assert 'data-jupyter-widgets-cdn="/__npm__/"' in out


def test_server_rewrites_pages_and_serves_npm_files(tmp_path: Path) -> None:
    site, modules = tmp_path / "site", tmp_path / "node_modules"
    (site / "sub").mkdir(parents=True)
    (site / "sub" / "page.html").write_text(PAGE, encoding="utf-8")
    (site / "index.html").write_text("<p>home</p>", encoding="utf-8")
    (modules / "mathjax" / "es5").mkdir(parents=True)
    (modules / "mathjax" / "es5" / "tex-mml-chtml.js").write_text("/* mj */", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("no", encoding="utf-8")
    with serve(site, modules) as url:
        assert url.startswith("http://127.0.0.1:")
        page = urllib.request.urlopen(f"{url}/sub/page.html", timeout=10).read().decode()
        assert "/__npm__/mathjax/es5/tex-mml-chtml.js" in page and "cdn.jsdelivr" not in page
        js = urllib.request.urlopen(f"{url}/__npm__/mathjax/es5/tex-mml-chtml.js", timeout=10)
        assert js.read() == b"/* mj */"
        assert b"home" in urllib.request.urlopen(f"{url}/", timeout=10).read()
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{url}/__npm__/../secret.txt", timeout=10)
        assert err.value.code == 404
