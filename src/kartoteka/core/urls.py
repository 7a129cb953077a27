from django.urls import path

from kartoteka.core import views

app_name = "core"

urlpatterns = [
    path("settings/audit/", views.audit_list, name="audit"),
    path("settings/trash/", views.trash_list, name="trash"),
    path("settings/trash/<str:label>/<int:pk>/restore/", views.trash_restore, name="trash-restore"),
]
