"""The activities' tab on the cards of companies and contacts (see :mod:`kartoteka.core.cards`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kartoteka.accounts.models import User
from kartoteka.activities.forms import LOG_LABELS, LOGGED
from kartoteka.core import access, cards


def _may_log(user: User, client: Any) -> bool:
    return access.has_any(user, "activities", "create")


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
                actions=tuple(cards.CardAction(code, LOG_LABELS[code]) for code in LOGGED),
                actions_shown_to=_may_log,
            ),
        )
