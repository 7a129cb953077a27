from django.urls import path

from kartoteka.records.views import batches, trash

app_name = "records"

urlpatterns = [
    path("settings/trash/", trash.trash_list, name="trash"),
    path("settings/trash/<str:label>/<int:pk>/restore/", trash.trash_restore, name="trash-restore"),
    path("settings/batches/", batches.batch_list, name="batch-list"),
    path("settings/batches/<int:pk>/undo/", batches.batch_undo, name="batch-undo"),
    path("settings/users/<int:pk>/handover/", batches.handover, name="handover"),
]
