from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from kartoteka.accounts.api import BranchViewSet, RoleViewSet, UserViewSet
from kartoteka.api.search import SearchView
from kartoteka.clients.api import CompanyViewSet, ContactViewSet
from kartoteka.clients.api_custom_fields import CustomFieldViewSet
from kartoteka.core.api import AuditViewSet
from kartoteka.core.batch_api import BatchViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="user")
router.register("branches", BranchViewSet, basename="branch")
router.register("roles", RoleViewSet, basename="role")
router.register("audit", AuditViewSet, basename="audit")
router.register("companies", CompanyViewSet, basename="company")
router.register("contacts", ContactViewSet, basename="contact")
router.register("batches", BatchViewSet, basename="batch")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("search/", SearchView.as_view(), name="search"),
    *router.urls,
]
