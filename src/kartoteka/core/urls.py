from django.urls import path

from kartoteka.core import views

app_name = "core"

urlpatterns = [
    path("settings/audit/", views.audit_list, name="audit"),
]
