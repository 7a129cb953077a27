"""Form widgets that stay light however big the card file grows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model

from kartoteka.core.forms import NOT_SELECTED
from kartoteka.core.ids import parse_id


class RemoteSelect(forms.Select):
    """A picker that renders only the chosen option; the browser finds others via search.

    A <select> with every company would carry 300,000 options. Validation still runs against the
    field's full (scoped) queryset; only the rendering is narrowed. kartoteka.js adds a search box
    that asks ``search_url`` and offers the hits as options.
    """

    def __init__(
        self, *, model: type[Model], search_url: str, kind: str, attrs: dict[str, Any] | None = None
    ):
        super().__init__(
            attrs={**(attrs or {}), "data-remote-search": search_url, "data-remote-kind": kind}
        )
        self.model = model
        #: {pk: label} of options already known (a form lists the records it was built from):
        #: rendering those costs no query, so a formset of 20 pickers costs none per row
        self.labels: dict[int, str] = {}

    def optgroups(
        self, name: str, value: list[Any], attrs: dict[str, Any] | None = None
    ) -> list[Any]:
        chosen = [v for v in value if v not in (None, "")]
        options = [self.create_option(name, "", str(NOT_SELECTED), not chosen, 0)]
        wanted = [pk for pk in map(parse_id, chosen) if pk is not None]
        # The field's own (scoped) queryset names the chosen option: an id typed into the
        # address or a crafted post must not show the name of a record the user cannot see.
        found = [(pk, self.labels[pk]) for pk in wanted if pk in self.labels]
        unknown = [pk for pk in wanted if pk not in self.labels]
        if unknown:
            source = getattr(self.choices, "queryset", None)
            if source is None:
                source = self.model._default_manager.all()
            found += [(obj.pk, str(obj)) for obj in source.filter(pk__in=unknown)]
        for index, (pk, label) in enumerate(found, start=1):
            options.append(self.create_option(name, str(pk), label, True, index))
        return [(None, options, 0)]
