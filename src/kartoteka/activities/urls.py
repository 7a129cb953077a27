from django.urls import path

from kartoteka.activities.views import pages, tasks

app_name = "activities"

urlpatterns = [
    path("activities/", pages.activity_list, name="activity-list"),
    path("activities/<int:pk>/", pages.activity_detail, name="activity-detail"),
    path("tasks/", tasks.task_list, name="task-list"),
    path("tasks/new/", tasks.task_create, name="task-create"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task-detail"),
    path("tasks/<int:pk>/done/", tasks.task_complete, name="task-complete"),
    path("tasks/<int:pk>/reopen/", tasks.task_reopen, name="task-reopen"),
    path("tasks/<int:pk>/checklist/", tasks.task_checklist, name="task-checklist"),
    path("tasks/<int:pk>/comments/", tasks.task_comment, name="task-comment"),
    path("tasks/<int:pk>/delete/", tasks.task_delete, name="task-delete"),
    path("calendar/", pages.calendar, name="calendar"),
    path("calendar/events/<int:pk>/", pages.event_detail, name="event-detail"),
]
