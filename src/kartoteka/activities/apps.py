from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kartoteka.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from kartoteka.activities import cards, kinds, reminders
        from kartoteka.activities.queries import active_feed_key_column
        from kartoteka.activities.services import events, merge, tasks
        from kartoteka.activities.views.calendar import feed_url_of
        from kartoteka.core import me
        from kartoteka.records.services import undo

        kinds.register()
        cards.register()
        merge.register()
        reminders.register()
        # "Undo" in the toast of a tick reopens the task; a moved meeting goes back.
        undo.register("task_done", tasks.undo_done)
        undo.register("task_snooze", tasks.undo_snooze)
        undo.register("event_move", events.undo_move)
        me.register_field("calendar_feed_url", active_feed_key_column, feed_url_of)
