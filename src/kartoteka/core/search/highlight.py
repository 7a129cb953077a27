"""Where a query matched a value, for showing it: the value escaped, the match in ``<mark>``.

The index says *which* records match, not where: a document is one folded text. This finds the
place again in one value as people read it ("+7 969 123-79-69", "ООО «Ромашка»"), by the same
rules as the search — digits of a phone anywhere (its ending preferred), words as typed or by
their stem, case-insensitive, ё = е.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kartoteka.core.search.text import APOSTROPHES, Term, parse

Span = tuple[int, int]


def _folded(value: str) -> str:
    """``value`` lower-cased with ё as е, character for character (same length), or "" when a
    character would not keep its length (then nothing is highlighted, never the wrong part)."""
    chars = []
    for ch in value.translate(APOSTROPHES):
        low = ch.lower()
        if len(low) != 1:
            return ""
        chars.append("е" if low == "ё" else low)
    return "".join(chars)


def _word_start(folded: str, prefix: str) -> int:
    """Where a word (or a part of one) of ``folded`` starts with ``prefix``, or -1."""
    start = folded.find(prefix)
    while start > 0 and folded[start - 1].isalnum():
        start = folded.find(prefix, start + 1)
    return start


def _is_digits(terms: list[Term]) -> bool:
    return len(terms) == 1 and terms[0].exact[0].isdigit()


def _digit_spans(term: Term, value: str) -> list[Span]:
    """A phone, an INN: the typed digits among the value's digits, whatever stands between."""
    places = [i for i, ch in enumerate(value) if ch.isdigit()]
    digits = "".join(value[i] for i in places)
    for variant in sorted(term.exact, key=len, reverse=True):
        if not variant:
            continue
        # The ending first: "7969" is most likely the last digits of a number.
        start = len(digits) - len(variant) if digits.endswith(variant) else digits.find(variant)
        if start >= 0:
            return [(places[start], places[start + len(variant) - 1] + 1)]
    return []


def _word_spans(terms: list[Term], value: str) -> list[Span]:
    folded = _folded(value)
    spans: list[Span] = []
    if not folded:
        return spans
    for term in terms:
        if term.prefix:
            prefix = term.prefix
            start = _word_start(folded, prefix)
            if start >= 0:
                spans.append((start, start + len(prefix)))
            continue
        for fragment in sorted({*term.exact, *term.loose}, key=len, reverse=True):
            start = folded.find(fragment) if fragment else -1
            if start >= 0:
                spans.append((start, start + len(fragment)))
                break
    return spans


def _merged(spans: list[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def spans(query: str, value: str) -> list[Span]:
    """Character ranges of ``value`` that ``query`` matched (none: it did not match there)."""
    terms = parse(query)
    if not terms or not value:
        return []
    if _is_digits(terms):
        return _digit_spans(terms[0], value)
    return _merged(_word_spans(terms, value))


def marked(value: str, found: list[Span]) -> SafeString:
    """``value`` escaped, with the ``found`` ranges in ``<mark>``."""
    parts: list[str] = []
    last = 0
    for start, end in found:
        parts.append(escape(value[last:start]))
        parts.append(f"<mark>{escape(value[start:end])}</mark>")
        last = end
    parts.append(escape(value[last:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece is escaped above


@dataclass(frozen=True)
class Shown:
    """A hit as the command box shows it: its name, and the one detail that explains it."""

    title: SafeString
    #: the field that matched when it is not the name ("Телефон"), else ""
    label: str
    detail: SafeString


def shown(query: str, title: str, subtitle: str, fields: tuple[tuple[str, str], ...]) -> Shown:
    """The name highlighted where it matched and, when the match was elsewhere, the field that
    matched (phone, INN, email...) highlighted; otherwise the usual subtitle."""
    in_title = spans(query, title)
    best: tuple[int, str, str, list[Span]] | None = None
    for label, value in fields:
        found = spans(query, value)
        if found and (best is None or len(found) > best[0]):
            best = (len(found), label, value, found)
    if best is not None and (not in_title or best[0] > len(in_title)):
        _, label, value, found = best
        return Shown(marked(title, in_title), label, marked(value, found))
    return Shown(marked(title, in_title), "", marked(subtitle, spans(query, subtitle)))
