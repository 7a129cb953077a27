"""``GET /api/v1/batches/`` and ``POST /api/v1/batches/{id}/undo/``: bulk changes and their undo."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kartoteka.core import batches
from kartoteka.core.errors import NotFoundError
from kartoteka.core.ids import parse_id
from kartoteka.core.models import Batch
from kartoteka.core.web import signed_in


class CountsSerializer(serializers.Serializer):  # type: ignore[type-arg]
    changed = serializers.IntegerField()
    skipped_forbidden = serializers.IntegerField(help_text="You may not change them")
    skipped_unchanged = serializers.IntegerField(help_text="They already have the value")


class BatchSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    changed = serializers.SerializerMethodField()
    skipped_forbidden = serializers.SerializerMethodField()
    skipped_unchanged = serializers.SerializerMethodField()
    records = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = (
            "id",
            "name",
            "kind",
            "actor",
            "created_at",
            "changed",
            "skipped_forbidden",
            "skipped_unchanged",
            "records",
            "undone_at",
            "undone_by",
        )

    def _summary(self, batch: Batch, key: str) -> int:
        return int((batch.summary or {}).get(key, 0))

    def get_changed(self, batch: Batch) -> int:
        return self._summary(batch, "changed")

    def get_skipped_forbidden(self, batch: Batch) -> int:
        return self._summary(batch, "skipped_forbidden")

    def get_skipped_unchanged(self, batch: Batch) -> int:
        return self._summary(batch, "skipped_unchanged")

    def get_records(self, batch: Batch) -> dict[str, int]:
        """Changed records by type, e.g. {"clients.company": 120}."""
        return dict((batch.summary or {}).get("records", {}))


class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Bulk changes: one's own; an administrator's list has everyone's."""

    serializer_class = BatchSerializer
    queryset = Batch.objects.none()

    def get_queryset(self) -> QuerySet[Batch]:
        return batches.batches_for(signed_in(self.request))

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "BatchUndo",
                {
                    "batch": BatchSerializer(),
                    "restored": serializers.IntegerField(),
                    "kept": serializers.IntegerField(
                        help_text="Records changed after the batch: left as they are"
                    ),
                    "message": serializers.CharField(),
                },
            )
        },
        description="Undo the whole batch; records changed since are left alone and counted. "
        "409 `already_undone` the second time.",
    )
    @action(detail=True, methods=["post"], url_path="undo", url_name="undo")
    def undo(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        pk = parse_id(kwargs["pk"])
        if pk is None:
            raise NotFoundError()
        result = batches.batch_undo(actor=user, batch=batches.batch_for(user, pk))
        return Response(
            {
                "batch": BatchSerializer(result.batch).data,
                "restored": result.restored,
                "kept": result.kept,
                "message": result.message,
            }
        )
