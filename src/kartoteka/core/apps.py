from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kartoteka.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kartoteka.core import ids, kinds
        from kartoteka.core.text import register_lookups

        register_lookups()
        ids.register_lookups()
        # The audit trail: whose entries one reads (own = made by oneself; team = by oneself or
        # one's teammates; branch = by one's branch's people; all = the whole trail).
        kinds.register_entity(
            kinds.Entity(
                code="audit", label=_("audit trail"), position=130, cells={"view": kinds.SCOPES}
            )
        )
