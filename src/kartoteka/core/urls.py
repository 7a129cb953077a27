from django.urls import path

from kartoteka.core import job_views, notification_views, views

app_name = "core"

urlpatterns = [
    path("settings/audit/", views.audit_list, name="audit"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job-detail"),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path("notifications/stream/", notification_views.stream, name="notification-stream"),
    path(
        "notifications/<int:pk>/read/",
        notification_views.notification_read,
        name="notification-read",
    ),
    path(
        "notifications/read-all/",
        notification_views.notification_read_all,
        name="notification-read-all",
    ),
]
