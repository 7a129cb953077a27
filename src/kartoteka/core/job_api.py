"""``GET /api/v1/jobs/`` and ``GET /api/v1/jobs/{id}/``: the jobs one started, with progress."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets

from kartoteka.core import jobs
from kartoteka.core.models import JobRun
from kartoteka.core.web import signed_in


class JobRunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    percent = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="0-100; null while the total is not known"
    )
    is_finished = serializers.BooleanField(read_only=True)

    class Meta:
        model = JobRun
        fields = (
            "id",
            "kind",
            "title",
            "state",
            "done",
            "total",
            "percent",
            "is_finished",
            "message",
            "error",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        )


class JobRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Background jobs the caller started (re-indexing, applying a group rule...): state and
    progress. Nobody else's, whatever their role: another person's job answers 404."""

    serializer_class = JobRunSerializer
    queryset = JobRun.objects.none()

    def get_queryset(self) -> QuerySet[JobRun]:
        return jobs.runs_for(signed_in(self.request))

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        return None if page is None else [jobs.progress_of(job) for job in page]

    def get_object(self) -> JobRun:
        return jobs.progress_of(super().get_object())
