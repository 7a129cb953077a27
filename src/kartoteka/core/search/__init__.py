"""One search over everything a user may see: companies, contacts, and what apps add later.

PostgreSQL: full text with the ``russian`` configuration plus pg_trgm trigrams for fragments.
SQLite: an FTS5 trigram index, with word forms from the Snowball Russian stemmer applied here.
Both: case-insensitive, ё = е, phones in any format or by their last digits.

Public interface::

    find(user, text)            -> {"companies": Group(hits, more), "contacts": ...}
    matches(user, model, text)  -> Q for a list's queryset (combine with access.scoped)
    walked(ordered, size)       -> a searched list's first rows, tested one by one, or None
    index(obj) / index_many(model, ids) / remove(obj) / rebuild() / is_complete()
"""

from kartoteka.core.search.indexing import (
    Hit,
    Source,
    index,
    index_many,
    is_complete,
    rebuild,
    register,
    remove,
    sources,
)
from kartoteka.core.search.results import LIMIT, Group, find, matches
from kartoteka.core.search.walking import walked

__all__ = [
    "LIMIT",
    "Group",
    "Hit",
    "Source",
    "find",
    "index",
    "index_many",
    "is_complete",
    "matches",
    "rebuild",
    "register",
    "remove",
    "sources",
    "walked",
]
