from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "kartoteka.activities"
    label = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        from kartoteka.activities import kinds, reminders

        kinds.register()
        reminders.register()
