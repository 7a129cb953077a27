"""``GET /api/v1/contacts/{id}/timeline/`` and ``/api/v1/companies/{id}/timeline/``.

Every source of the client's timeline merged newest first (activities, tasks done, changes of
the record; a company's includes its people's), cursor-paginated:
``{"results": [...], "next": "<url>" | null}``. A client the caller may not see is a 404.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from kartoteka.activities import timeline
from kartoteka.clients import queries as client_queries
from kartoteka.core.web import signed_in

DEFAULT_LIMIT = 50


class PersonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField()


class ActivityPartSerializer(serializers.Serializer):  # type: ignore[type-arg]
    subject = serializers.CharField()
    body = serializers.CharField()
    direction = serializers.CharField(help_text="`in`, `out` or empty")
    duration = serializers.IntegerField(allow_null=True, help_text="seconds")
    outcome = serializers.CharField()
    result = serializers.CharField()
    reason = serializers.IntegerField(allow_null=True, help_text="a refusal reason's id")
    reason_name = serializers.CharField(allow_null=True)
    product_text = serializers.CharField()
    place = serializers.CharField()
    recording_url = serializers.CharField()
    participants = serializers.ListField(child=serializers.IntegerField())
    next_steps = serializers.ListField(
        child=serializers.IntegerField(), help_text="ids of the tasks set as its next step"
    )


class TaskPartSerializer(serializers.Serializer):  # type: ignore[type-arg]
    title = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    done_at = serializers.DateTimeField()
    activity = serializers.IntegerField(allow_null=True)


class ChangeLineSerializer(serializers.Serializer):  # type: ignore[type-arg]
    field = serializers.CharField(help_text="the field's name, in the reader's language")
    old = serializers.CharField()
    new = serializers.CharField()


class ChangePartSerializer(serializers.Serializer):  # type: ignore[type-arg]
    action = serializers.CharField(help_text="create, update, delete, restore, …")
    lines = ChangeLineSerializer(many=True)


class TimelineItemSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(
        choices=["activity", "task", "change"],
        help_text="what the item is: an activity, a task done, a change of the record",
    )
    id = serializers.IntegerField(help_text="the activity's, task's or audit entry's id")
    type = serializers.ChoiceField(choices=list(timeline.TYPES))  # type: ignore[assignment]
    at = serializers.DateTimeField()
    person = PersonSerializer(allow_null=True, help_text="author, who did the task, who changed")
    company = serializers.IntegerField(allow_null=True)
    contact = serializers.IntegerField(allow_null=True)
    activity = ActivityPartSerializer(required=False)
    task = TaskPartSerializer(required=False)
    change = ChangePartSerializer(required=False)


class TimelinePageSerializer(serializers.Serializer):  # type: ignore[type-arg]
    results = TimelineItemSerializer(many=True)
    next = serializers.URLField(allow_null=True)


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.username}


def _item(item: timeline.Item, client: Any) -> dict[str, Any]:
    obj = item.obj
    data: dict[str, Any] = {
        "kind": item.source,
        "id": item.id,
        "type": item.type,
        "at": item.at.isoformat(),
        "person": _person(item.person),
    }
    if item.source == timeline.CHANGE:
        data["company"] = client.pk if client._meta.model_name == "company" else None
        data["contact"] = client.pk if client._meta.model_name == "contact" else None
        data["change"] = {
            "action": obj.action,
            "lines": [{"field": f, "old": o, "new": n} for f, o, n in getattr(obj, "lines", [])],
        }
        return data
    data["company"], data["contact"] = obj.company_id, obj.contact_id
    if item.source == timeline.ACTIVITY:
        data["activity"] = {
            "subject": obj.subject,
            "body": obj.body,
            "direction": obj.direction,
            "duration": obj.duration,
            "outcome": obj.outcome,
            "result": obj.result,
            "reason": obj.reason_id,
            "reason_name": obj.reason.name if obj.reason else None,
            "product_text": obj.product_text,
            "place": obj.place,
            "recording_url": obj.recording_url,
            "participants": [user.pk for user in obj.participant_list],
            "next_steps": [task.pk for task in obj.visible_next_steps],
        }
    else:
        data["task"] = {
            "title": obj.title,
            "due_at": obj.due_at.isoformat() if obj.due_at else None,
            "due_date": obj.due_date.isoformat() if obj.due_date else None,
            "done_at": obj.done_at.isoformat(),
            "activity": obj.activity_id,
        }
    return data


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "")
    if not raw:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= timeline.MAX_PAGE:
        raise ValidationError({"limit": [_("A number from 1 to 200.")]})
    return int(raw)


PARAMETERS = [
    OpenApiParameter("cursor", str, description="The `next` of the previous page"),
    OpenApiParameter("limit", int, description="Items per page, 1–200 (default 50)"),
    OpenApiParameter(
        "type",
        str,
        many=True,
        enum=list(timeline.TYPES),
        description="Only these kinds (repeat the parameter): an activity type, `task` (done), "
        "`change` (of the record)",
    ),
    OpenApiParameter("person", int, description="Only what this user did"),
]


class ClientTimelineView(APIView):
    """A client's timeline, newest first; a company's includes its people's activities."""

    kind = "company"

    @extend_schema(
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
            *PARAMETERS,
        ],
        responses=TimelinePageSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        user = signed_in(request)
        finder = client_queries.company if self.kind == "company" else client_queries.contact
        client = finder(user, pk, bare=True)  # NotFoundError: the API's 404, as for a missing one
        filters = timeline.Filters.read(
            request.query_params.getlist("type"), request.query_params.get("person")
        )
        try:
            page = timeline.page(
                user,
                client,
                filters=filters,
                cursor=request.query_params.get("cursor", ""),
                size=_limit(request),
            )
        except timeline.BadCursor:
            raise ValidationError({"cursor": [_("This cursor is not one the API gave.")]}) from None
        url = request.build_absolute_uri()
        following = replace_query_param(url, "cursor", page.next) if page.next else None
        return Response(
            {"results": [_item(item, client) for item in page.items], "next": following}
        )


class CompanyTimelineView(ClientTimelineView):
    kind = "company"


class ContactTimelineView(ClientTimelineView):
    kind = "contact"


__all__ = ["CompanyTimelineView", "ContactTimelineView"]
