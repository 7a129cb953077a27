"""REST: likely duplicate pairs and merging, as actions of a record kind's endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.core import access
from kartoteka.core.errors import DomainError, ForbiddenError, NotFoundError
from kartoteka.core.ids import parse_id
from kartoteka.core.rest.serializers import released
from kartoteka.core.web import signed_in
from kartoteka.records import duplicates
from kartoteka.records.services.merge import KEEP_OTHER, KEEP_SURVIVOR, record_merge


class PairSerializer(serializers.Serializer):  # type: ignore[type-arg]
    first = serializers.IntegerField(help_text="The older record: the one offered to keep")
    second = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=["inn", "phone", "email", "name"])
    value = serializers.CharField(help_text="The shared INN, phone (E.164), email or name key")
    similarity = serializers.IntegerField(help_text="Percent; 100 unless names are only similar")
    label = serializers.CharField(help_text="The reason as people read it")  # type: ignore[assignment]


class MergeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    other = serializers.IntegerField(help_text="The record merged in; it goes to the trash")
    version = serializers.IntegerField(help_text="The version of this record you read")
    other_version = serializers.IntegerField(help_text="The version of the other record you read")
    keep = serializers.DictField(
        child=serializers.ChoiceField(choices=[KEEP_SURVIVOR, KEEP_OTHER]),
        required=False,
        help_text='Per field, whose value to keep: {"name": "other"}. Lists are united.',
    )


class DuplicateActions:
    """Mixed into a record kind's viewset (which gives ``entity``, ``one`` and the serializer)."""

    entity = ""

    if TYPE_CHECKING:

        def one(self, user: Any, pk: int) -> Any: ...

        def get_serializer(self, *args: Any, **kwargs: Any) -> Any: ...

    @extend_schema(
        description="Likely duplicate pairs among the records you may edit, for one reason; "
        "page with `after` (the `next` link carries it).",
        parameters=[
            OpenApiParameter("reason", str, enum=["inn", "phone", "email", "name"]),
            OpenApiParameter("after", str, description="The last group key of the previous page"),
        ],
        responses=inline_serializer(
            "DuplicatePairs",
            {"results": PairSerializer(many=True), "next": serializers.CharField(allow_null=True)},
        ),
    )
    @action(detail=False, methods=["get"], url_path="duplicates", pagination_class=None)
    def duplicates(self, request: Request) -> Response:
        user = signed_in(request)
        if not access.has_any(user, self.entity, "edit"):
            raise ForbiddenError()
        reasons = [item.code for item in duplicates.reasons(self.entity)]
        if not reasons:
            raise NotFoundError()
        reason = request.query_params.get("reason") or reasons[0]
        if reason not in reasons:
            raise DomainError(fields={"reason": [", ".join(reasons)]})
        page = duplicates.duplicate_pairs(
            user, self.entity, reason, after=request.query_params.get("after", "")
        )
        results = [
            {
                "first": pair.first.pk,
                "second": pair.second.pk,
                "reason": pair.reason,
                "value": pair.value,
                "similarity": pair.score,
                "label": pair.label,
            }
            for pair in page.pairs
        ]
        next_link = None
        if page.next_after is not None:
            query = request.query_params.copy()
            query["reason"], query["after"] = reason, page.next_after
            next_link = request.build_absolute_uri(request.path) + "?" + query.urlencode()
        return Response({"results": results, "next": next_link})

    @extend_schema(
        description="Merge `other` into this record: `keep` picks values per field, lists are "
        "united, links move here, `other` goes to the trash. Needs edit on both records and "
        "delete on `other` (403 with the reason if you may edit but not delete it; 404 if either "
        "is out of reach); 409 if either version is stale.",
        request=MergeSerializer,
    )
    @action(detail=True, methods=["post"], url_path="merge")
    def merge(self, request: Request, pk: str | None = None) -> Response:
        user = signed_in(request)
        data = released(self, MergeSerializer(data=request.data))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        survivor_id = parse_id(pk)
        if survivor_id is None:
            raise NotFoundError()
        survivor = self.one(user, survivor_id)
        other = self.one(user, int(values["other"]))
        merged = record_merge(
            actor=user,
            survivor=survivor,
            other=other,
            version=values["version"],
            other_version=values["other_version"],
            choices=dict(values.get("keep") or {}),
        )
        return Response(self.get_serializer(self.one(user, merged.pk)).data)
