"""Django's template engine, letting a page's context go once the page is rendered.

A rendering context and each layer pushed onto it name each other (``ContextDict.context``),
so every rendered page left its context — the rows it listed with everything they hold — in a
reference cycle for the garbage collector, and so did each form it showed (a form and its bound
fields name each other). Emptying the layers and the forms' bound fields after rendering breaks
those cycles; the page is freed by reference counting as soon as the request lets it go.
"""

from __future__ import annotations

from typing import Any

from django.forms import BaseForm
from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.backends.django import DjangoTemplates, reraise
from django.template.backends.django import Template as DjangoTemplate
from django.template.context import make_context
from django.utils.safestring import SafeString


class Template(DjangoTemplate):
    def render(
        self, context: dict[str, Any] | None = None, request: HttpRequest | None = None
    ) -> SafeString:
        made = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(made)  # type: ignore[no-any-return]
        except TemplateDoesNotExist as exc:
            reraise(exc, self.backend)
        finally:
            for layer in made.dicts:
                for value in layer.values():
                    if isinstance(value, BaseForm):
                        # A form and its bound fields name each other: the same kind of cycle.
                        value._bound_fields_cache.clear()  # type: ignore[attr-defined]
            made.dicts.clear()
            made.render_context.dicts.clear()


class Templates(DjangoTemplates):
    """``django.template.backends.django.DjangoTemplates`` with :class:`Template`."""

    def from_string(self, template_code: str) -> Template:
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name: str) -> Template:
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            reraise(exc, self)
