"""The registry of what the access table governs: entities, and the record kinds among them.

An app registers its entities from its ``kinds.py`` in ``AppConfig.ready``; the role editor, the
audit trail and every platform feature read this registry instead of a closed list, so a new app
plugs in without editing ``accounts`` or ``core``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entity:
    """One row of the access table: a code stored in role grants, and its name for people."""

    code: str
    #: shown in the role editor and the audit trail (a lazy translation)
    label: Any
    #: the role editor lists entities by this, then by code
    position: int = 100


_ENTITIES: dict[str, Entity] = {}


def register_entity(entity: Entity) -> None:
    """Add an entity; registering the same code twice with another definition is a bug."""
    known = _ENTITIES.get(entity.code)
    if known is not None and known != entity:
        raise ValueError(f"Entity {entity.code!r} is registered twice, differently.")
    _ENTITIES[entity.code] = entity


def entities() -> list[Entity]:
    """Every registered entity, in the role editor's order."""
    return sorted(_ENTITIES.values(), key=lambda entity: (entity.position, entity.code))


def entity(code: str) -> Entity | None:
    return _ENTITIES.get(code)


def entity_label(code: str) -> str:
    """The entity's name in the reader's language; an unknown code is shown as it is."""
    found = _ENTITIES.get(code)
    return str(found.label) if found is not None else code
