from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kartoteka.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from kartoteka.activities import cards, kinds
        from kartoteka.activities.services import merge, tasks
        from kartoteka.records.services import undo

        kinds.register()
        cards.register()
        merge.register()
        # "Undo" in the toast of a tick reopens the task.
        undo.register("task_done", tasks.undo_done)
