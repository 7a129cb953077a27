"""Serializers that read through fields built once per class."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


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
