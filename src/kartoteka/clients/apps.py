from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "kartoteka.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from kartoteka.clients.search import register
        from kartoteka.clients.services import bulk, field_checks

        register()
        bulk.register()
        field_checks.register()
