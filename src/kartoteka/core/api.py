"""REST endpoint for the audit trail (read-only)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from kartoteka.core import audit
from kartoteka.core.ids import parse_id
from kartoteka.core.models import AuditEntry
from kartoteka.core.web import signed_in


class AuditEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    record_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditEntry
        fields = (
            "id",
            "at",
            "actor",
            "action",
            "record_type",
            "object_id",
            "object_repr",
            "changes",
            "version",
        )

    def get_record_type(self, entry: AuditEntry) -> str | None:
        ct = entry.content_type
        return f"{ct.app_label}.{ct.model}" if ct else None


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("actor", int, description="Only what this user did"),
            OpenApiParameter(
                "record_type", str, description="e.g. clients.company (with object_id)"
            ),
            OpenApiParameter("object_id", int, description="The record's id"),
        ]
    )
)
class AuditViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Who changed what and when: for administrators and auditors."""

    serializer_class = AuditEntrySerializer
    queryset = AuditEntry.objects.none()

    def get_queryset(self) -> QuerySet[AuditEntry]:
        readable = audit.readable_by(signed_in(self.request))
        if readable is None:
            raise PermissionDenied()
        # An "own" grant reads one's own entries, "branch" the branch's people's, "all" everything.
        entries = AuditEntry.objects.select_related("content_type").filter(readable)
        params: Any = self.request.query_params
        actor = parse_id(params.get("actor", ""))
        if actor is not None:
            entries = entries.filter(actor_id=actor)
        record_type = params.get("record_type", "")
        object_id = parse_id(params.get("object_id", ""))
        if record_type and object_id is not None:
            app_label, _dot, model = record_type.partition(".")
            entries = entries.filter(
                content_type__app_label=app_label,
                content_type__model=model,
                object_id=object_id,
            )
        return entries

    def paginate_queryset(self, queryset: Any) -> Any:
        # Names of linked records the caller may not see read as "hidden record".
        page = super().paginate_queryset(queryset)
        return None if page is None else audit.shown_to(signed_in(self.request), page)

    def get_object(self) -> AuditEntry:
        return audit.shown_to(signed_in(self.request), [super().get_object()])[0]
