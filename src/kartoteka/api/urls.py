from typing import Any

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from kartoteka.accounts.api import BranchViewSet, RoleViewSet, UserViewSet
from kartoteka.activities.api.records import (
    ActivityViewSet,
    EventViewSet,
    RefusalReasonViewSet,
    TaskViewSet,
)
from kartoteka.activities.api.timeline import CompanyTimelineView, ContactTimelineView
from kartoteka.api.search import SearchView
from kartoteka.clients.api.records import CompanyViewSet, ContactViewSet
from kartoteka.core.api import AuditViewSet
from kartoteka.core.job_api import JobRunViewSet
from kartoteka.core.notification_api import NotificationViewSet
from kartoteka.records.api.batches import BatchViewSet
from kartoteka.records.api.custom_fields import CustomFieldViewSet


class IdRouter(DefaultRouter):
    """Record ids in paths are digits, at most 19 of them (as many as 64 bits hold):
    ``/companies/abc/`` matches no route and gets the JSON 404 (``kartoteka.urls``), instead of
    reaching a view that cannot read it as an id."""

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        lookup_field = getattr(viewset, "lookup_field", "pk")
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>[0-9]{{1,18}})"


router = IdRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="user")
router.register("branches", BranchViewSet, basename="branch")
router.register("roles", RoleViewSet, basename="role")
router.register("audit", AuditViewSet, basename="audit")
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("batches", BatchViewSet, basename="batch")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
router.register("jobs", JobRunViewSet, basename="job")
router.register("activities", ActivityViewSet, basename="activity")
router.register("tasks", TaskViewSet, basename="task")
router.register("events", EventViewSet, basename="event")
router.register("refusal-reasons", RefusalReasonViewSet, basename="refusal-reason")
router.register("notifications", NotificationViewSet, basename="notification")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("search/", SearchView.as_view(), name="search"),
    re_path(
        r"^companies/(?P<pk>[0-9]{1,18})/timeline/$",
        CompanyTimelineView.as_view(),
        name="company-timeline",
    ),
    re_path(
        r"^contacts/(?P<pk>[0-9]{1,18})/timeline/$",
        ContactTimelineView.as_view(),
        name="contact-timeline",
    ),
    *router.urls,
]
