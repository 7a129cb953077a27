from django.urls import path

from kartoteka.clients.views import box as views_box
from kartoteka.clients.views import duplicates as views_duplicates
from kartoteka.clients.views import inline as views_inline
from kartoteka.clients.views import records as views

app_name = "clients"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/box/", views_box.search_box, name="search-box"),
]
for kind, plural in (("company", "companies"), ("contact", "contacts")):
    urlpatterns += [
        path(f"{plural}/", views.record_list, {"kind": kind}, name=f"{kind}-list"),
        path(f"{plural}/new/", views.record_form, {"kind": kind}, name=f"{kind}-create"),
        path(f"{plural}/<int:pk>/", views.record_detail, {"kind": kind}, name=f"{kind}-detail"),
        path(f"{plural}/<int:pk>/edit/", views.record_form, {"kind": kind}, name=f"{kind}-edit"),
        path(
            f"{plural}/<int:pk>/delete/", views.record_delete, {"kind": kind}, name=f"{kind}-delete"
        ),
        path(
            f"{plural}/<int:pk>/field/<str:name>/",
            views_inline.inline_field,
            {"kind": kind},
            name=f"{kind}-inline",
        ),
        path(f"{plural}/<int:pk>/share/", views.record_share, {"kind": kind}, name=f"{kind}-share"),
        path(
            f"{plural}/<int:pk>/share/<int:share_id>/remove/",
            views.record_unshare,
            {"kind": kind},
            name=f"{kind}-unshare",
        ),
        path(
            f"{plural}/duplicates/check/",
            views_duplicates.duplicates_check,
            {"kind": kind},
            name=f"{kind}-duplicates-check",
        ),
        path(
            f"{plural}/<int:pk>/merge/<int:other>/",
            views_duplicates.merge_screen,
            {"kind": kind},
            name=f"{kind}-merge",
        ),
    ]
