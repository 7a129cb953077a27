from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kartoteka.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kartoteka.core import ids
        from kartoteka.core.text import register_lookups

        register_lookups()
        ids.register_lookups()
