"""The command box (Ctrl+K, "/"): records found while typing, grouped by kind, and commands.

One HTML fragment per keystroke (debounced by palette.js): a few hits per kind the user may see,
each with the field that matched highlighted, then the commands the user may run ("New
company"...), from the registry of record kinds. The card's own actions are read from the page
by palette.js. Without scripts the top bar's form still opens the full search page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.text import capfirst

from kartoteka.core import access, kinds
from kartoteka.core.search import find
from kartoteka.core.search.highlight import Shown, shown
from kartoteka.core.text import fold
from kartoteka.core.web import signed_in

#: hits per kind in the box; the full search page shows more
BOX_LIMIT = 5
#: longer queries are cut: nobody types a paragraph into the box
MAX_QUERY = 200


@dataclass(frozen=True)
class Section:
    code: str
    label: str
    hits: list[tuple[Any, Shown]]
    more: bool


@dataclass(frozen=True)
class Command:
    label: str
    url: str


def commands(user: Any, text: str) -> list[Command]:
    """ "New company", "New contact"... for each kind the user may create, that ``text``
    names (every word of it found in the command), or all of them for an empty text."""
    words = fold(text).split()
    found = []
    for kind in kinds.record_kinds():
        if not kind.create_url or not access.has_any(user, kind.entity, "create"):
            continue
        label = str(kind.create_label or capfirst(str(kind.label)))
        if all(word in fold(label) for word in words):
            found.append(Command(label=label, url=reverse(kind.create_url)))
    return found


def sections(user: Any, text: str) -> list[Section]:
    """The hits by kind, in the registry's order; kinds with no hit are left out."""
    groups = find(user, text, limit=BOX_LIMIT)
    found = []
    for kind in kinds.record_kinds():
        group = groups.get(kind.search.group) if kind.search is not None else None
        if group is None or not group.hits:
            continue
        hits = [(hit, shown(text, hit.title, hit.subtitle, hit.fields)) for hit in group.hits]
        found.append(Section(kind.code, str(capfirst(str(kind.plural))), hits, group.more))
    return found


@login_required
def search_box(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    text = request.GET.get("q", "").strip()[:MAX_QUERY]
    context = {
        "query": text,
        "sections": sections(user, text) if text else [],
        "commands": commands(user, text),
    }
    return render(request, "clients/search_box.html", context)
