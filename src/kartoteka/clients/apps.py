from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "kartoteka.clients"
    label = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from kartoteka.clients import kinds
        from kartoteka.clients.services import field_checks

        kinds.register()
        field_checks.register()
