"""``POST /api/v1/<kind>/bulk/`` (companies, contacts...): one bulk change, as one batch."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.core import kinds
from kartoteka.core.batches import Counts
from kartoteka.core.ids import MAX_ID
from kartoteka.core.rest.serializers import released
from kartoteka.core.web import signed_in
from kartoteka.records import queries
from kartoteka.records.api.batches import BatchSerializer, CountsSerializer
from kartoteka.records.services import bulk


class BulkRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    action = serializers.ChoiceField(choices=bulk.ACTIONS)
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=50_000,
        help_text="Records to change; ids you may not change are skipped and counted.",
    )
    filter = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="Instead of ids: every record the list endpoint returns for these query "
        'parameters (e.g. {"status": "prospect", "q": "ромашка"}), scoped to you.',
    )
    to_owners = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        help_text="reassign: user ids",
    )
    field = serializers.CharField(
        required=False, help_text="set_field: e.g. status, city, custom_fields.<code>"
    )
    value = serializers.JSONField(required=False, help_text="set_field: the new value")
    tag = serializers.CharField(required=False, max_length=60, help_text="tag/untag: tag name")
    preview = serializers.BooleanField(
        default=False, help_text="Only count what would change; change nothing."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"ids": ["Send either ids or filter."]})
        return attrs


class BulkActions:
    """Adds the bulk endpoint to a record kind's viewset."""

    queryset: Any

    @extend_schema(
        request=BulkRequestSerializer,
        responses={201: BatchSerializer, 200: CountsSerializer},
        description=(
            "Reassign, replace a field's value, add/remove a tag or move to the trash, for the "
            "ids given or for every record matching `filter`. Records you may not change are "
            "skipped and counted. The answer is the batch (undo it with "
            "`POST /api/v1/batches/{id}/undo/`), or with `preview` the counts only. 403 without "
            "the grant the action needs (assign, edit, delete)."
        ),
        examples=[
            OpenApiExample(
                "Hand over to two colleagues",
                value={"action": "reassign", "ids": [12, 13, 14], "to_owners": [5, 7]},
            ),
            OpenApiExample(
                "Status of the whole filter",
                value={
                    "action": "set_field",
                    "filter": {"city": "Казань"},
                    "field": "status",
                    "value": "client",
                },
            ),
        ],
    )
    @action(detail=False, methods=["post"], url_path="bulk", url_name="bulk")
    def bulk(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = released(self, BulkRequestSerializer(data=request.data))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = signed_in(request)
        model = self.queryset.model
        if "filter" in data:
            params = QueryDict(mutable=True)
            params.update(data["filter"])
            kind = kinds.kind_of(model)
            target: Any = queries.listing(kind, actor, text=params.get("q", ""), params=params)
        else:
            target = data["ids"]
        result = bulk.bulk_apply(
            actor=actor,
            model=model,
            target=target,
            action=data["action"],
            params=data,
            preview=data["preview"],
        )
        if isinstance(result, Counts):
            return Response(released(self, CountsSerializer(result)).data)
        return Response(
            released(self, BatchSerializer(result)).data, status=status.HTTP_201_CREATED
        )
