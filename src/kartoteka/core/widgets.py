"""Form widgets that stay light however big the card file grows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model


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

    def optgroups(
        self, name: str, value: list[Any], attrs: dict[str, Any] | None = None
    ) -> list[Any]:
        chosen = [v for v in value if v not in (None, "")]
        options = [self.create_option(name, "", "---------", not chosen, 0)]
        wanted = [str(v) for v in chosen if str(v).isdigit()]
        for index, obj in enumerate(self.model._default_manager.filter(pk__in=wanted), start=1):
            options.append(self.create_option(name, str(obj.pk), str(obj), True, index))
        return [(None, options, 0)]
