"""Serializers that read through fields built once per class."""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import ManyRelatedField, PKOnlyObject

#: fields that hold fields of their own (a nested serializer, a list's child), each bound to
#: its parent: copied whole so every copy's children are bound to it
_HOLDERS = (
    serializers.BaseSerializer,
    serializers.ListField,
    serializers.DictField,
    ManyRelatedField,
)


def _own_copy(field: serializers.Field) -> serializers.Field:  # type: ignore[type-arg]
    # A leaf field's state is its settings, which nothing changes once it is made; binding it
    # to a serializer sets its name and parent on the copy alone. DRF's deep copy instead makes
    # each field anew from its arguments, five times the cost.
    return copy.deepcopy(field) if isinstance(field, _HOLDERS) else copy.copy(field)


class FieldsBuiltOnce(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A model serializer whose fields are worked out of the model once per class.

    ModelSerializer works each field out anew for every serializer made (a fifth of logging a
    call); none depends on the request, so each serializer gets its own copies of the fields
    built the first time. A subclass that scopes a field to the caller does it in
    ``get_fields`` on the copies.
    """

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        built: dict[str, serializers.Field] | None = type(self).__dict__.get("_built")  # type: ignore[type-arg]
        if built is None:
            built = super().get_fields()
            setattr(type(self), "_built", built)  # noqa: B010 - one dict per subclass
        return {name: _own_copy(field) for name, field in built.items()}


class ReadOnceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A serializer whose reads go through field objects built once per class.

    DRF builds and deep-copies every field of a serializer each time one is made, and binds
    each copy to it (a cycle per serializer); for reads the same context-free field objects do
    (a caller-ID lookup spent a tenth of its time there). Writes still validate through freshly
    built fields, scoped to the caller where a subclass says so.
    """

    @classmethod
    def readable_fields(cls) -> list[serializers.Field]:  # type: ignore[type-arg]
        cached = cls.__dict__.get("_readable")
        if cached is None:
            cached = list(cls()._readable_fields)
            setattr(cls, "_readable", cached)  # noqa: B010 - one list per subclass
        return cached

    def to_representation(self, instance: Any) -> dict[str, Any]:
        # DRF's Serializer.to_representation, over the fields built once.
        data: dict[str, Any] = {}
        for field in self.readable_fields():
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            empty = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            data[str(field.field_name)] = (
                None if empty is None else field.to_representation(attribute)
            )
        return data


def unbind(serializer: serializers.Field) -> None:  # type: ignore[type-arg]
    """Untie a serializer that has done its work from its fields, and them from it.

    DRF binds every field to its serializer (``parent``) while the serializer holds its fields
    (``fields``, whose ``BindingDict`` names the serializer again): a cycle. Through the
    serializer's ``context`` the view, the request and all they hold waited in it for the cycle
    collector after every write, some 300 objects a create, so that a young collection ran every
    twenty or so writes and made them the slowest 5%.
    """
    waiting = [serializer]
    while waiting:
        field = waiting.pop()
        state = field.__dict__
        fields = state.pop("fields", None)
        if fields is not None:
            waiting.extend(fields.values())
            fields.__dict__.pop("serializer", None)
        child = state.get("child")
        if isinstance(child, serializers.Field):
            waiting.append(child)
        child_relation = state.get("child_relation")
        if isinstance(child_relation, serializers.Field):
            waiting.append(child_relation)
        for name in ("parent", "_context", "_data"):
            state.pop(name, None)


S = TypeVar("S", bound=serializers.Field)  # type: ignore[type-arg]


def released(view: Any, serializer: S) -> S:
    """``serializer``, made by ``view`` for this request, unbound (:func:`unbind`) once the answer
    is rendered (``core.prefetch.unlink``): for a serializer an action makes itself (a bulk
    change's body, a merge's) rather than through ``get_serializer``."""
    view.__dict__.setdefault("made_serializers", []).append(serializer)
    return serializer


class ReleasesSerializers:
    """A view that lets go of the serializers it made once its answer is rendered: they are
    remembered here and unbound (:func:`unbind`) by ``core.prefetch.unlink``."""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        return released(self, super().get_serializer(*args, **kwargs))  # type: ignore[misc]
