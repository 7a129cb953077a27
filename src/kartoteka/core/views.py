"""Health and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from kartoteka.core import audit, audit_text, jobs
from kartoteka.core.ids import parse_id
from kartoteka.core.models import AuditEntry
from kartoteka.core.pagination import keyset_page
from kartoteka.core.web import signed_in


def health(request: HttpRequest) -> JsonResponse:
    """Database and job-queue status, for load balancers and monitoring; no login needed."""
    database: dict[str, Any] = {"vendor": connection.vendor}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database["ok"] = True
    except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
        database.update(ok=False, error=error.__class__.__name__)
    queue = jobs.queue_status()
    healthy = database["ok"] and queue["ok"]
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database, "queue": queue},
        status=200 if healthy else 503,
    )


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """The trail as far as the audit grant's scope reaches, filterable by person and by record."""
    readable = audit.readable_by(signed_in(request))
    if readable is None:
        raise Http404
    entries = AuditEntry.objects.select_related("actor", "content_type").filter(readable)
    actor_id = parse_id(request.GET.get("actor", ""))
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    record_type, record_id = request.GET.get("type", ""), parse_id(request.GET.get("id", ""))
    if record_type and record_id is not None:
        app_label, _dot, model = record_type.partition(".")
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        entries = entries.filter(content_type=content_type, object_id=record_id)
    page = keyset_page(entries, request.GET, size=100)
    # Names of linked records the reader may not see read as "hidden record".
    page.rows = audit_text.describe(audit.shown_to(signed_in(request), page.rows))
    audit_text.link_records(signed_in(request), page.rows)
    return render(
        request,
        "core/audit_list.html",
        {
            "page": page,
            "section": "settings",
            "people": get_user_model()
            .objects.filter(audit.readable_by(signed_in(request), person="") or Q())
            .order_by("last_name", "first_name"),
            "actor_id": actor_id,
            "record_type": record_type,
            "record_id": record_id,
            "extra_query": "&".join(f"{k}={v}" for k, v in request.GET.items() if k != "after"),
        },
    )
