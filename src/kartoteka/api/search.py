"""``GET /api/v1/search/?q=``: the top bar's search for programs, grouped like the page."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kartoteka.core import search
from kartoteka.core.web import signed_in

MAX_LIMIT = 50


class HitSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=["company", "contact"])
    title = serializers.CharField(help_text="The name as people read it.")
    subtitle = serializers.CharField(help_text="City, phone, INN; a person's companies.")
    url = serializers.CharField(help_text="The record's page in the web interface.")


class SearchResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    companies = HitSerializer(many=True)
    contacts = HitSerializer(many=True)


def _hit(hit: search.Hit) -> dict[str, object]:
    return {
        "id": hit.id,
        "type": hit.type,
        "title": hit.title,
        "subtitle": hit.subtitle,
        "url": hit.url,
    }


class SearchView(APIView):
    """Companies and contacts the caller may see that match ``q``, best first."""

    @extend_schema(
        operation_id="search",
        summary="Search everything you may see",
        description=(
            "Finds names in any word form («Иванову» finds Иванов), phones in any format or "
            "by their last 4+ digits, INN, email, tags, custom field values and cities; a "
            "company's name also finds its people. Case-insensitive, ё = е. Exact phone, INN "
            "and email matches come first. Records outside your scope are never returned "
            "or counted."
        ),
        parameters=[
            OpenApiParameter("q", str, required=True, description="What to look for."),
            OpenApiParameter(
                "limit", int, description=f"Hits per group, 1–{MAX_LIMIT} (default 20)."
            ),
        ],
        responses=SearchResultSerializer,
    )
    def get(self, request: Request) -> Response:
        try:
            limit = min(max(int(request.query_params.get("limit", search.LIMIT)), 1), MAX_LIMIT)
        except ValueError:
            limit = search.LIMIT
        groups = search.find(signed_in(request), request.query_params.get("q", ""), limit=limit)
        return Response({name: [_hit(hit) for hit in group.hits] for name, group in groups.items()})
