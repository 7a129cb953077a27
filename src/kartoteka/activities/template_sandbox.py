"""The only tags and filters an administrator's email template may use.

Email templates are written by administrators and rendered by the worker with a context of plain
strings and numbers. Django's full template language could reach further than that context:
``{% debug %}`` prints the context and the loaded modules, ``{% include %}``/``{% extends %}`` read
template files, ``{% load %}`` brings in any tag library, ``{% url %}`` names the routes, and some
filters (``stringformat``, ``ljust``) can be made to build huge strings. So the sandbox's engine
(:mod:`kartoteka.activities.greetings`) has no built-ins but this library: branching and text
filters only, no loops, no loading, no files. Variables starting with ``_`` are refused by the
template language itself, and the context holds no objects, so ``{{ client.__class__ }}`` or
``{{ settings.SECRET_KEY }}`` cannot reach anything.
"""

from __future__ import annotations

from django.template import Library, defaultfilters, defaulttags

register = Library()

#: tags: conditions and comments, nothing that loops, loads, includes or prints the context
SAFE_TAGS = ("if", "firstof", "with", "comment")
#: filters that only reshape a short value
SAFE_FILTERS = (
    "add",
    "capfirst",
    "cut",
    "default",
    "default_if_none",
    "first",
    "last",
    "length",
    "lower",
    "pluralize",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "wordcount",
    "yesno",
)

for _name in SAFE_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in SAFE_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]
