"""The tests' URLs: Kartoteka's, and the gadgets' own pages."""

from django.urls import include, path

from kartoteka.urls import handler500
from kartoteka.urls import urlpatterns as kartoteka_urls
from tests.kindtest import views

gadget_urls = (
    [
        path("gadgets/", views.gadget_list, name="gadget-list"),
        path("gadgets/<int:pk>/", views.gadget_detail, name="gadget-detail"),
    ],
    "kindtest",
)

urlpatterns = [path("", include(gadget_urls)), *kartoteka_urls]

__all__ = ["handler500", "urlpatterns"]
