from django.urls import path

from kartoteka.core import batch_views, views

app_name = "core"

urlpatterns = [
    path("settings/audit/", views.audit_list, name="audit"),
    path("settings/trash/", views.trash_list, name="trash"),
    path("settings/trash/<str:label>/<int:pk>/restore/", views.trash_restore, name="trash-restore"),
    path("settings/batches/", batch_views.batch_list, name="batch-list"),
    path("settings/batches/<int:pk>/undo/", batch_views.batch_undo, name="batch-undo"),
    path("settings/users/<int:pk>/handover/", batch_views.handover, name="handover"),
]
