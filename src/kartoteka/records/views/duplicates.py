"""The Duplicates page: likely pairs of records of any kind, one reason per tab."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from kartoteka.core import access
from kartoteka.core.web import signed_in
from kartoteka.records import duplicates


@login_required
def duplicates_page(request: HttpRequest) -> HttpResponse:
    """Likely duplicate pairs among the records the user may edit, one reason per tab."""
    user = signed_in(request)
    offered = duplicates.kinds_with_duplicates()
    if not offered:
        raise Http404
    by_entity = {kind.entity: kind for kind in offered}
    kind = by_entity.get(request.GET.get("kind", ""), offered[0])
    if not access.has_any(user, kind.entity, "edit"):
        raise Http404
    reasons = kind.duplicate_reasons
    # Each tab's first page, for its count: a bounded handful of queries per tab.
    first_pages = {
        item.code: duplicates.duplicate_pairs(user, kind.entity, item.code) for item in reasons
    }
    chosen = request.GET.get("reason", "")
    reason = next(
        (item for item in reasons if item.code == chosen),
        # Unasked, the page opens on the first tab that has something to show.
        next((item for item in reasons if first_pages[item.code].pairs), reasons[0]),
    )
    after = request.GET.get("after", "")
    page = (
        duplicates.duplicate_pairs(user, kind.entity, reason.code, after=after)
        if after
        else first_pages[reason.code]
    )
    return render(
        request,
        "records/duplicates.html",
        {
            "page": page,
            "record_kind": kind,
            "entity": kind.entity,
            "reason": reason.code,
            "reasons": [
                (item.code, item.label, _count(first_pages[item.code])) for item in reasons
            ],
            "kinds": [
                (other.entity, other.plural)
                for other in offered
                if access.has_any(user, other.entity, "edit")
            ],
            "section": kind.entity,
            # Merging trashes one of the pair: a role that deletes nothing is offered no merge.
            "may_merge": bool(kind.merge_url) and access.has_any(user, kind.entity, "delete"),
        },
    )


def _count(page: duplicates.PairsPage) -> str:
    """A tab's count: the pairs of its first page, "25+" when there are more pages, "0"."""
    return f"{len(page.pairs)}+" if page.next_after else str(len(page.pairs))
