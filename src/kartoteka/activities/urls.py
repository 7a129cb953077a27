from django.urls import path

from kartoteka.activities.views import calendar, pages, reasons, tasks, timeline
from kartoteka.activities.views import settings as settings_views

app_name = "activities"

urlpatterns = [
    path("activities/", pages.activity_list, name="activity-list"),
    path("activities/<int:pk>/", pages.activity_detail, name="activity-detail"),
    path("activities/<int:pk>/edit/", timeline.edit_activity, name="activity-edit"),
    path("activities/<int:pk>/delete/", timeline.delete_activity, name="activity-delete"),
    path("tasks/", tasks.task_list, name="task-list"),
    path("tasks/new/", tasks.task_create, name="task-create"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task-detail"),
    path("tasks/<int:pk>/done/", tasks.task_complete, name="task-complete"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen, name="task-reopen"),
    path("tasks/<int:pk>/snooze/", tasks.task_snooze, name="task-snooze"),
    path("tasks/<int:pk>/checklist/", tasks.task_checklist, name="task-checklist"),
    path("tasks/<int:pk>/comments/", tasks.task_comment, name="task-comment"),
    path("tasks/<int:pk>/delete/", tasks.task_delete, name="task-delete"),
    path(
        "settings/important-dates/",
        settings_views.important_dates_settings,
        name="important-dates",
    ),
    path("settings/refusal-reasons/", reasons.reason_list, name="refusal-reason-list"),
    path("settings/refusal-reasons/new/", reasons.reason_create, name="refusal-reason-create"),
    path("settings/refusal-reasons/<int:pk>/", reasons.reason_edit, name="refusal-reason-edit"),
    path(
        "settings/refusal-reasons/<int:pk>/move/",
        reasons.reason_move,
        name="refusal-reason-move",
    ),
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
# The timeline of a company's or contact's card, and logging an activity from it.
for kind, plural in (("company", "companies"), ("contact", "contacts")):
    urlpatterns += [
        path(
            f"{plural}/<int:pk>/timeline/",
            timeline.client_timeline,
            {"kind": kind},
            name=f"{kind}-timeline",
        ),
        path(
            f"{plural}/<int:pk>/log/<str:type>/",
            timeline.log_activity,
            {"kind": kind},
            name=f"{kind}-log",
        ),
    ]
