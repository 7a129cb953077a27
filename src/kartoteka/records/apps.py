from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "kartoteka.records"
    label = "records"
    verbose_name = _("records")

    def ready(self) -> None:
        from kartoteka.records import kinds

        kinds.register()
