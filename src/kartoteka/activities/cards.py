"""The activities' tab on the cards of companies and contacts (see :mod:`kartoteka.core.cards`)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kartoteka.accounts.models import User
from kartoteka.activities.forms import LOG_LABELS, LOGGED
from kartoteka.core import access, cards


def _may_log(user: User, client: Any) -> bool:
    return access.has_any(user, "activities", "create")


def _may_plan(user: User) -> bool:
    return access.has_any(user, "tasks", "create")


def _task_for(field: str) -> Any:
    def href(client: Any) -> str:
        return f"{reverse('activities:task-create')}?{field}={client.pk}"

    return href


def register() -> None:
    """The timeline replaces the card's audit-only history tab; its buttons log activities."""
    for entity, kind in (("companies", "company"), ("contacts", "contact")):
        cards.register_tab(
            entity,
            cards.CardTab(
                key="timeline",
                label=_("Timeline"),
                url_name=f"activities:{kind}-timeline",
                position=30,
                params=("log", "type", "person"),
                actions=(
                    *(cards.CardAction(code, LOG_LABELS[code]) for code in LOGGED),
                    cards.CardAction("task", _("Task"), href=_task_for(kind), shown_to=_may_plan),
                ),
                actions_shown_to=_may_log,
            ),
        )
