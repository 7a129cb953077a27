from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kartoteka.accounts"
    label = "accounts"
    verbose_name = _("People and access")

    def ready(self) -> None:
        from kartoteka.accounts import kinds

        kinds.register()
