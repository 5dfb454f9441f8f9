"""A pybtex style whose bibliography labels read like the citations in the text.

With ``bibtex_reference_style: author_year`` the text cites "Goodfellow et al., 2016", but the
default formatting style labels the reference list "[GBC16]". This style labels each entry the way
the text cites it: "Nocedal and Wright, 2006", "Goodfellow et al., 2016", with a, b, ... appended
when two entries would get the same label. Registered as ``optcourse-author-year`` and selected by
``bibtex_default_style`` in ``_config.yml``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle

NAME = "optcourse-author-year"


def _plain(text: str) -> str:
    """A BibTeX name without its braces and accent commands ({\\"o} -> o)."""
    return re.sub(r"[{}]|\\[a-zA-Z]+\s*|\\.", "", text)


def author_year(entry: Any) -> str:
    """The label of one entry: "Last, year", "A and B, year" or "Last et al., year"."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    lasts = [_plain(" ".join(p.prelast_names + p.last_names)) for p in persons]
    if len(lasts) > 2:
        names = f"{lasts[0]} et al."
    elif lasts:
        names = " and ".join(lasts)
    else:
        names = _plain(entry.fields.get("title", entry.key))
    return f"{names}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels as the text cites: author(s) and year, disambiguated by a, b, ..."""

    def format_labels(self, sorted_entries: Iterable[Any]) -> Iterator[str]:
        entries = list(sorted_entries)
        labels = [author_year(e) for e in entries]
        counts = Counter(labels)
        seen: Counter[str] = Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(UnsrtStyle):
    """unsrt formatting, sorted by author and year, labelled by :class:`AuthorYearLabelStyle`."""

    default_label_style = AuthorYearLabelStyle
    default_sorting_style = "author_year_title"


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: make the style available to sphinxcontrib-bibtex."""
    register_plugin("pybtex.style.formatting", NAME, AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
