from django.urls import path

from kartoteka.core import kinds
from kartoteka.records.views import batches, trash, undo
from kartoteka.records.views import bulk as bulk_views
from kartoteka.records.views import duplicates as duplicate_views
from kartoteka.records.views import exports as export_views
from kartoteka.records.views import lists as list_views
from kartoteka.records.views import settings as settings_views
from kartoteka.records.views import tags as tag_views

app_name = "records"

urlpatterns = [
    path("settings/trash/", trash.trash_list, name="trash"),
    path("settings/trash/<str:label>/<int:pk>/restore/", trash.trash_restore, name="trash-restore"),
    path("undo/<str:token>/", undo.undo, name="undo"),
    path("settings/batches/", batches.batch_list, name="batch-list"),
    path("settings/batches/<int:pk>/undo/", batches.batch_undo, name="batch-undo"),
    path("settings/users/<int:pk>/handover/", batches.handover, name="handover"),
    path("views/new/", list_views.saved_view_new, name="saved-view-create"),
    path("views/<int:pk>/delete/", list_views.saved_view_remove, name="saved-view-delete"),
    path("duplicates/", duplicate_views.duplicates_page, name="duplicates"),
]
# What every registered record kind gets, under its own path: /companies/bulk/, /deals/bulk/...
for kind in kinds.record_kinds():
    code, plural = kind.code, kind.url_plural
    urlpatterns += [
        path(f"{plural}/export/", export_views.export_csv, {"kind": code}, name=f"{code}-export"),
        path(f"{plural}/bulk/", bulk_views.record_bulk, {"kind": code}, name=f"{code}-bulk"),
        path(
            f"{plural}/bulk/count/",
            bulk_views.record_bulk_count,
            {"kind": code},
            name=f"{code}-bulk-count",
        ),
    ]
_settings = settings_views
urlpatterns += [
    path("settings/custom-fields/", _settings.custom_field_list, name="custom-field-list"),
    path("settings/custom-fields/new/", _settings.custom_field_form, name="custom-field-create"),
    path("settings/custom-fields/<int:pk>/", _settings.custom_field_form, name="custom-field-edit"),
    path(
        "settings/custom-fields/<int:pk>/delete/",
        _settings.custom_field_delete,
        name="custom-field-delete",
    ),
    path(
        "settings/custom-fields/<int:pk>/move/",
        _settings.custom_field_move,
        name="custom-field-move",
    ),
    path("settings/group-rules/", _settings.group_rule_list, name="group-rule-list"),
    path("settings/group-rules/new/", _settings.group_rule_form, name="group-rule-create"),
    path("settings/group-rules/<int:pk>/", _settings.group_rule_form, name="group-rule-edit"),
    path(
        "settings/group-rules/<int:pk>/apply/", _settings.group_rule_apply, name="group-rule-apply"
    ),
    path("settings/group-rules/<int:pk>/move/", _settings.group_rule_move, name="group-rule-move"),
    path(
        "settings/group-rules/<int:pk>/delete/",
        _settings.group_rule_delete,
        name="group-rule-delete",
    ),
]
urlpatterns += [
    path("settings/tags/", tag_views.tag_list, name="tag-list"),
    path("settings/tags/new/", tag_views.tag_create, name="tag-create"),
    path("settings/tags/<int:pk>/", tag_views.tag_edit, name="tag-edit"),
    path("settings/tags/<int:pk>/delete/", tag_views.tag_delete, name="tag-delete"),
]
