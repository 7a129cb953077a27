from django.urls import path

from kartoteka.core import job_views, views

app_name = "core"

urlpatterns = [
    path("settings/audit/", views.audit_list, name="audit"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job-detail"),
]
