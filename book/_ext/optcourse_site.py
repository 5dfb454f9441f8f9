"""A small Sphinx extension that makes the built book self-contained and lean.

1. **Offline assets.** MathJax 3, require.js and the ipywidgets HTML manager are copied from the
   npm packages that ``make npm-assets`` (run by ``make book``) installs into ``.cache/npm`` into
   ``_build/html/_static/vendor/``; ``_config.yml`` points ``mathjax_path`` and myst-nb's
   ``nb_ipywidgets_js`` there (with ``book/_static/widgets-setup.js``, which shows the widget
   manager where its icon fonts are), so no page loads anything from a CDN.
2. **No widget state for unseen widgets.** Executing a notebook stores the state of every ipywidget
   it created in the notebook's metadata, and myst-nb then embeds that state (and the widget
   scripts) in the page even when the widget's output is removed (``remove-output``). A page whose
   rendered content shows no widget gets neither.
3. **A meta description** (``optcourse_description`` in the Sphinx config) on every page, and a
   real root ``index.html`` (language, title, description, favicon, a link) that sends readers on to
   the first page, instead of the bare redirect line Jupyter Book writes otherwise.
"""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Where ``make npm-assets`` installs the npm packages, relative to the book's root.
NPM_MODULES = Path(".cache") / "npm" / "node_modules"
#: What is copied into ``_static/vendor``: (source under node_modules, target, file patterns).
#: MathJax keeps its component layout (it loads extensions, fonts and the accessibility
#: modules on demand relative to its own script); the widget manager needs its fonts beside it.
VENDOR: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("mathjax/es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js", ()),
    ("mathjax/es5/input", "mathjax/input", ("*",)),
    ("mathjax/es5/output/chtml.js", "mathjax/output/chtml.js", ()),
    ("mathjax/es5/output/chtml", "mathjax/output/chtml", ("*",)),
    ("mathjax/es5/a11y", "mathjax/a11y", ("*",)),
    ("mathjax/es5/ui", "mathjax/ui", ("*",)),
    ("mathjax/es5/sre", "mathjax/sre", ("*",)),
    ("mathjax/es5/adaptors", "mathjax/adaptors", ("*",)),
    ("requirejs/require.js", "require.js", ()),
    ("@jupyter-widgets/html-manager/dist/embed-amd.js", "html-manager/embed-amd.js", ()),
    ("@jupyter-widgets/html-manager/dist", "html-manager", ("*.woff", "*.woff2")),
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _modules(app: Sphinx) -> Path:
    return Path(app.srcdir) / NPM_MODULES


def check_npm_assets(app: Sphinx) -> None:
    """Stop the build with a clear message when the npm packages are not installed."""
    if app.builder is None or app.builder.format != "html":
        return
    modules = _modules(app)
    missing = [src for src, _, _ in VENDOR if not (modules / src).exists()]
    if missing:
        raise ConfigError(
            f"the offline copies of MathJax, require.js and the widget manager are missing from "
            f"{modules} ({', '.join(missing)}). Run `make npm-assets` (it needs npm, from "
            f"Node.js: apt-get install npm, or https://nodejs.org), or build with `make book`."
        )


def copy_vendor_files(app: Sphinx) -> None:
    """Copy the npm files of :data:`VENDOR` into ``_static/vendor`` of the HTML output.

    Done when the builder starts, before any page is written: Sphinx then finds every file and
    gives each page the same ``?v=<checksum>`` links, in a clean build as in an incremental one.
    """
    if app.builder is None or app.builder.format != "html":
        return
    modules = _modules(app)
    vendor = Path(app.outdir) / "_static" / "vendor"
    for src, dst, patterns in VENDOR:
        source, target = modules / src, vendor / dst
        if not patterns:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            continue
        for pattern in patterns:
            for path in source.rglob(pattern) if pattern == "*" else source.glob(pattern):
                if path.is_file():
                    out = target / path.relative_to(source)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, out)


def drop_unseen_widget_state(app: Sphinx, doctree: nodes.document) -> None:
    """Forget the widget state and scripts of a page whose rendered content shows no widget."""
    shows_widget = any(WIDGET_VIEW in node.astext() for node in doctree.findall(nodes.raw))
    if shows_widget:
        return
    nb_metadata = getattr(app.env, "nb_metadata", None)
    if not nb_metadata:
        return
    js_files = nb_metadata.get(app.env.docname, {}).get("js_files", {})
    for key in [k for k in js_files if k.startswith("ipywidgets_")]:
        del js_files[key]


def add_meta_description(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Add ``<meta name="description">`` with the configured site description to a page."""
    description = app.config.optcourse_description
    if description:
        tag = f'<meta name="description" content="{escape(description, quote=True)}" />\n'
        context["metatags"] = context.get("metatags", "") + tag


_ROOT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name="description" content="{description}" />
<link rel="icon" href="_static/{favicon}" />
<meta http-equiv="Refresh" content="0; url={first}" />
</head>
<body>
<main><p>The book starts at <a href="{first}">{title}</a>.</p></main>
</body>
</html>
"""


def write_root_page(app: Sphinx, exception: Exception | None) -> None:
    """Write ``index.html`` at the site's root, sending readers on to the root document."""
    if exception is not None or app.builder is None or app.builder.name != "html":
        return
    if app.config.root_doc == "index":
        return
    favicon = Path(app.config.html_favicon or "favicon.svg").name
    page = _ROOT_PAGE.format(
        title=escape(app.config.html_title or app.config.project, quote=True),
        description=escape(app.config.optcourse_description, quote=True),
        favicon=escape(favicon, quote=True),
        first=escape(app.builder.get_target_uri(app.config.root_doc), quote=True),
    )
    (Path(app.outdir) / "index.html").write_text(page, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension's configuration value and event handlers."""
    app.add_config_value("optcourse_description", "", "html", types=[str])
    app.connect("builder-inited", check_npm_assets)
    app.connect("builder-inited", copy_vendor_files, priority=600)  # after the check
    app.connect("doctree-read", drop_unseen_widget_state)
    app.connect("html-page-context", add_meta_description)
    # before sphinx-external-toc (priority 500), which writes a bare redirect when none exists
    app.connect("build-finished", write_root_page, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
