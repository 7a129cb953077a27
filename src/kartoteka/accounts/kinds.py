"""The access-table entities of people and platform settings."""

from __future__ import annotations

from kartoteka.accounts.models import Entity as EntityChoice
from kartoteka.core import kinds


def register() -> None:
    for position, choice in enumerate(EntityChoice):
        kinds.register_entity(
            kinds.Entity(code=choice.value, label=choice.label, position=position)
        )
