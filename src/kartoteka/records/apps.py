from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "kartoteka.records"
    label = "records"
    verbose_name = _("records")

    def ready(self) -> None:
        from kartoteka.core import field_rules
        from kartoteka.records import kinds
        from kartoteka.records.services import custom_fields, merge_undo

        # Acts that undo from a toast, beyond those records.services.undo knows itself.
        merge_undo.register()

        kinds.register()
        # Every kind keeps custom values the same way: one check for custom_fields.<code>.
        field_rules.register_any_prefix("custom_fields", custom_fields.check_named_value)
