"""The Duplicates page: likely pairs of records, one reason per tab."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kartoteka.clients import duplicates
from kartoteka.clients.views.duplicates import REASON_LABELS
from kartoteka.core import access
from kartoteka.core.web import signed_in


@login_required
def duplicates_page(request: HttpRequest) -> HttpResponse:
    """Likely duplicate pairs among the records the user may edit, one reason per tab."""
    user = signed_in(request)
    entity = request.GET.get("kind", "companies")
    if entity not in duplicates.KINDS:
        entity = "companies"
    if not access.has_any(user, entity, "edit"):
        raise Http404
    reasons = duplicates.KINDS[entity].reasons
    reason = request.GET.get("reason", "")
    reason = reason if reason in reasons else reasons[0]
    after = request.GET.get("after", "")
    page = duplicates.duplicate_pairs(user, entity, reason, after=after)
    return render(
        request,
        "records/duplicates.html",
        {
            "page": page,
            "entity": entity,
            "kind": "company" if entity == "companies" else "contact",
            "reason": reason,
            "reasons": [(code, REASON_LABELS[code]) for code in reasons],
            "kinds": [
                (code, label)
                for code, label in (
                    ("companies", _("Companies")),
                    ("contacts", _("Contacts")),
                )
                if access.has_any(user, code, "edit")
            ],
            "section": entity,
            # Merging trashes one of the pair: a role that deletes nothing is offered no merge.
            "may_merge": access.has_any(user, entity, "delete"),
        },
    )
