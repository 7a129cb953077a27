from django.urls import path

from kartoteka.activities.views import calendar, pages

app_name = "activities"

urlpatterns = [
    path("activities/", pages.activity_list, name="activity-list"),
    path("activities/<int:pk>/", pages.activity_detail, name="activity-detail"),
    path("tasks/", pages.task_list, name="task-list"),
    path("tasks/<int:pk>/", pages.task_detail, name="task-detail"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("calendar/events/", calendar.calendar_events, name="calendar-events"),
    path("calendar/events/new/", calendar.event_create, name="event-create"),
    path("calendar/events/<int:pk>/", calendar.event_detail, name="event-detail"),
    path("calendar/events/<int:pk>/edit/", calendar.event_edit, name="event-edit"),
    path("calendar/events/<int:pk>/move/", calendar.event_move, name="event-move"),
    path("calendar/events/<int:pk>/delete/", calendar.event_delete, name="event-delete"),
    path("calendar/import/", calendar.calendar_import, name="calendar-import"),
    path("calendar/subscription/", calendar.subscription_create, name="subscription-create"),
    path(
        "calendar/subscription/revoke/",
        calendar.subscription_revoke,
        name="subscription-revoke",
    ),
    # The subscription address: no login, the secret token is the key (404 if made up or
    # revoked).
    path("calendar/ical/<str:token>.ics", calendar.calendar_ical, name="calendar-ical"),
]
