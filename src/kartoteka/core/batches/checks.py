"""Every value a batch writes passes the check a single edit of the field passes.

An operation's values (and what it sets off, such as a group rule's tag) are checked by
:func:`kartoteka.core.field_rules.clean_value` before the chunk holding them is written, so a
bulk change accepts and refuses exactly what a form or the API accepts for the same field. A
refused value stops the whole batch, naming the field: the batch runs in one transaction, so
nothing of it is written. Each distinct value is checked once per batch, whatever the number of
records; undo puts back values as they were and is not checked again.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from kartoteka.core import field_rules
from kartoteka.core.errors import DomainError
from kartoteka.core.models import Record


class ValueChecks:
    """The values of one model's batch fields, checked and in stored form, with a memory."""

    def __init__(self, model: type[Record]) -> None:
        self.model = model
        self.seen: dict[tuple[str, str], Any] = {}
        self.targets: dict[str, bool] = {}

    def clean(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` ({field: new value}) checked; raises :class:`DomainError` naming a field."""
        return {name: self.value(name, value) for name, value in values.items()}

    def value(self, name: str, value: Any) -> Any:
        if name == "deleted_at":  # the trash: a moment or none, set by the batch itself
            return value
        relation, dot, target = name.partition(".")
        if dot and self._is_relation(relation):
            return self._membership(name, relation, target, value)
        if not dot and self._is_relation(name):
            # Owners and branches: where a record may go is the access rule's, checked when the
            # operation is planned (batches.check_targets); the value is an id or nothing.
            if value is not None and not isinstance(value, int):
                self._refuse(name, [_("Choose from the list.")])
            return value
        remembered = (name, json.dumps(value, sort_keys=True, default=str))
        if remembered not in self.seen:
            try:
                self.seen[remembered] = field_rules.clean_value(self.model, name, value)
            except field_rules.FieldError as error:
                self._refuse(name, error.messages)
        return self.seen[remembered]

    def _is_relation(self, name: str) -> bool:
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return bool(field.is_relation)

    def _membership(self, name: str, relation: str, target: str, value: Any) -> bool:
        """``<relation>.<id>``: linked (True) or not (False) to an object that exists."""
        if not isinstance(value, bool) or not target.isdigit():
            self._refuse(name, [_("Choose from the list.")])
        if value and name not in self.targets:
            related = self.model._meta.get_field(relation).related_model
            manager = related._default_manager  # type: ignore[union-attr]
            self.targets[name] = manager.filter(pk=int(target)).exists()
        if value and not self.targets[name]:
            self._refuse(name, [_("Choose from the list.")])
        return bool(value)

    def _refuse(self, name: str, messages: list[str]) -> None:
        problem = " ".join(messages)
        raise DomainError(
            _("%(field)s: %(problem)s") % {"field": self.label(name), "problem": problem},
            fields={name: messages},
        )

    def label(self, name: str) -> str:
        """A column by its name for people; a custom value or a link by its own name."""
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return name
        text = str(getattr(field, "verbose_name", name))
        return text[:1].upper() + text[1:]
