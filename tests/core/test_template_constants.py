"""Fixed template text is made once per language, and still follows the language, the script
prefix and the template's variables."""

from __future__ import annotations

import pytest
from django.template import engines
from django.template.loader import get_template
from django.urls import reverse, set_script_prefix
from django.utils import translation

from kartoteka.core.template_constants import ConstantRun, constant, folded

pytestmark = pytest.mark.django_db


def _runs(nodelist: object) -> list[ConstantRun]:
    return [node for node in nodelist if isinstance(node, ConstantRun)]  # type: ignore[attr-defined]


def test_page_templates_are_folded_and_read_the_same() -> None:
    template = get_template("base.html").template  # type: ignore[attr-defined]
    assert template.constants_folded
    # The stylesheets and scripts with their text are one run rendered once per language.
    assert any(len(run.nodes) > 10 for run in _runs(template.nodelist))


def test_a_folded_template_renders_what_the_unfolded_one_does() -> None:
    source = (
        "{% load i18n static %}<a href=\"{% url 'home' %}\">{% translate 'Contacts' %}</a>"
        "<link href=\"{% static 'kartoteka/kartoteka.css' %}\">"
        "{% if show %}<b>{% translate 'Settings' %}</b>{% endif %}"
        "{% translate 'Name' context 'person' %} {{ name }}"
        "{% translate 'Log out' as out %}{{ out }}"
    )
    engine = engines["django"]
    plain = engine.from_string(source)
    fold = engine.from_string(source)
    fold.template.nodelist = folded(fold.template.nodelist)
    assert _runs(fold.template.nodelist)
    for language in ("ru", "en"):
        with translation.override(language):
            for show, name in ((True, "<Иван>"), (False, "Пётр")):
                context = {"show": show, "name": name}
                assert fold.render(context) == plain.render(context)
    with translation.override("ru"):
        assert "Контакты" in fold.render({})
    with translation.override("en"):
        assert "Contacts" in fold.render({})


def test_fixed_text_follows_the_script_prefix() -> None:
    template = engines["django"].from_string("{% url 'home' %}")
    template.template.nodelist = folded(template.template.nodelist)
    home = reverse("home")
    try:
        set_script_prefix("/crm/")
        assert template.render({}) == "/crm" + home
    finally:
        set_script_prefix("/")
    assert template.render({}) == home


def test_nodes_reading_the_context_are_not_fixed() -> None:
    source = (
        "{% load i18n %}{% url 'clients:contact-detail' pk %}{% translate name %}"
        "{% translate 'Contacts' as label %}{{ label }}{% translate 'Contacts'|upper %}"
    )
    nodes = engines["django"].from_string(source).template.nodelist
    assert [constant(node) for node in nodes] == [True, False, False, False, False, False]
