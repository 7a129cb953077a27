"""What a document and a query are made of: folded words, phone digits and word-form keys."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from kartoteka.core.phones import normalize_phone
from kartoteka.core.text import fold

# Quotes and brackets around names («ООО "Ромашка"») are noise to a person searching.
_NOISE = str.maketrans(dict.fromkeys('«»"“”„()[]{},;!?|', " "))
#: the apostrophes people type in names (O'Brien, O’Brien, Д`Артаньян), written one way
APOSTROPHES = str.maketrans(dict.fromkeys("’‘ʼ`´", "'"))
#: an apostrophe or hyphen joins the parts of one word (o'brien, римский-корсаков, jean-luc);
#: one not between two letters or digits ('ромашка', "иванов - петров") is noise
_LOOSE_JOINER = re.compile(r"(?<![^\W_])['-]+|['-]+(?![^\W_])")
_PHONE_LIKE = re.compile(r"\+?[\d\s().\-]+")
_PLAIN_WORD = re.compile(r"[^\W_]+")
#: a token without a letter or digit ("*", "-", "...") finds nothing anyone looks for
_HAS_WORD = re.compile(r"[^\W_]")
# PostgreSQL cannot hold NUL in text (a query with one fails); nobody types control characters.
_CONTROL = {0: None, **{code: " " for code in (*range(1, 32), 127)}}
#: what stands before every word of a document: a space (the text starts with one), or the
#: apostrophe or hyphen before a part of a word (o'Brien, римский-Корсаков)
WORD_STARTS = (" ", "-", "'")
#: a longer query is cut: each word costs a condition, and nobody types ten words to find a client
MAX_TERMS = 8
#: shorter than this, a fragment can't use the trigram indexes and is matched by a scan
TRIGRAM = 3
#: a word's forms (PostgreSQL: the words whose stem starts with its stem) are looked for only when
#: that stem is at least this long. Snowball cuts "май" to "ма" and "ипа" to "ип": as forms they
#: found every Мария and Максим, and everyone working for an ИП; a word this short is typed as
#: the start of a name, which the fragment already finds.
MIN_STEM = 4

_stemmer = snowballstemmer.stemmer("russian")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    # Snowball only strips endings, so a stem is always a prefix of its (folded) word.
    return str(_stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """``text`` as the folded words a document holds and a query looks for: the one tokenizer
    of both. An apostrophe or hyphen inside a name belongs to its word."""
    text = text.translate(_NOISE).translate(APOSTROPHES)
    return fold(_LOOSE_JOINER.sub(" ", text)).split()


def document_text(parts: Iterable[object]) -> str:
    """One folded text from a record's values; empty values are skipped. A word with an
    apostrophe is also written without it, so "obrien" finds O'Brien.

    The text starts with a space: every word, the first too, then follows one of
    :data:`WORD_STARTS`, and "words starting with бо" is the plain fragment " бо" that the
    trigram indexes (FTS5's too) can look up.
    """
    found = words(" ".join(str(part) for part in parts if part not in (None, "")))
    if not found:
        return ""
    return " " + " ".join([*found, *(word.replace("'", "") for word in found if "'" in word)])


def phone_digits(e164: str) -> str:
    return e164.lstrip("+")


@dataclass(frozen=True)
class Term:
    """One word of the query. A document matches it *strictly* when it contains one of
    ``exact`` and *loosely* when it contains one of ``loose`` (the word-form key: the stem) or,
    on PostgreSQL, has a word of the form ``word`` asks for (a ``to_tsquery`` operand:
    ``иванову:*``, a word whose stem starts with the typed word's)."""

    exact: tuple[str, ...]
    loose: tuple[str, ...]
    word: str = ""
    #: a word shorter than :data:`TRIGRAM` ("Павел М", "Ли Ва"): only a word (or a part of one)
    #: starting with it matches — inside words two letters are in nearly every text, and no
    #: trigram index can find them there; ``exact`` and ``loose`` are then its word starts
    prefix: str = ""


def _digits_term(text: str) -> Term:
    digits = "".join(ch for ch in text if ch.isdigit())
    variants = [digits]
    try:
        phone = normalize_phone(text)
    except Exception:  # noqa: BLE001 - not a phone: the digits alone are still worth finding
        phone = ""
    if phone and phone_digits(phone) != digits:
        variants.append(phone_digits(phone))
    return Term(exact=tuple(variants), loose=tuple(variants), word=f"{digits}:*")


def parse(text: str) -> list[Term]:
    """The query as terms; all of them must match. A phone in any format is one term.

    Punctuation alone is no term: a text without any letter or digit (``"``, ``()``, ``*``) has
    no terms at all, and :func:`~kartoteka.core.search.matches` then matches nothing. One or
    two letters (or digits) match only where a word starts with them ("Павел М").
    """
    text = text.translate(_CONTROL).strip()
    if not text:
        return []
    if _PHONE_LIKE.fullmatch(text) and sum(ch.isdigit() for ch in text) >= 1:
        return [_digits_term(text)]
    terms = []
    tokens = [token for token in words(text) if _HAS_WORD.search(token)]
    for token in tokens[:MAX_TERMS]:
        if len(token) < TRIGRAM:
            starts = tuple(start + token for start in WORD_STARTS)
            terms.append(Term(exact=starts, loose=starts, prefix=token))
            continue
        plain = bool(_PLAIN_WORD.fullmatch(token))
        key = stem(token) if plain else token
        if len(key) < TRIGRAM:
            key = token
        word = f"{token}:*" if plain and len(stem(token)) >= MIN_STEM else ""
        terms.append(Term(exact=(token,), loose=(key,), word=word))
    return terms
