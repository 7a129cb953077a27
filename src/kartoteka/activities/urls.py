from django.urls import path

from kartoteka.activities.views import pages
from kartoteka.activities.views import settings as settings_views

app_name = "activities"

urlpatterns = [
    path("activities/", pages.activity_list, name="activity-list"),
    path("activities/<int:pk>/", pages.activity_detail, name="activity-detail"),
    path("tasks/", pages.task_list, name="task-list"),
    path("tasks/<int:pk>/", pages.task_detail, name="task-detail"),
    path("calendar/", pages.calendar, name="calendar"),
    path("calendar/events/<int:pk>/", pages.event_detail, name="event-detail"),
    path(
        "settings/important-dates/",
        settings_views.important_dates_settings,
        name="important-dates",
    ),
]
