"""JSON request bodies read strictly: bounded nesting, no NUL characters, numbers as typed.

Python's JSON reader recurses once per level, so a body nested 100,000 deep raises
RecursionError (a 500) before any serializer sees it; PostgreSQL stores no NUL character in text
or JSON and fails the whole request on one. Both are refused here, for every endpoint, with a
400. A number keeps the digits it was written with (see :class:`JsonNumber`), so a value that a
float cannot hold (``1e-400``, which reads as 0) can be refused rather than silently changed.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

#: deeper than any body of this API (a custom field's list inside a record is 3 levels)
MAX_DEPTH = 32


class JsonNumber(float):
    """A JSON number with a fraction or exponent: a float that remembers the text it was read
    from (``literal``), for checks that must see what the client wrote, not its rounding."""

    literal: str

    def __new__(cls, literal: str) -> JsonNumber:
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


def _refuse_nul_and_depth(data: Any) -> None:
    """Walk the parsed body without recursion: depth and NUL characters, in keys and values."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError(_("Text may not contain NUL (\\u0000) characters."))
        elif isinstance(value, Mapping | list):
            if depth > MAX_DEPTH:
                raise ParseError(
                    _("The JSON is nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
                )
            items = value.items() if isinstance(value, Mapping) else ((None, v) for v in value)
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    raise ParseError(_("Text may not contain NUL (\\u0000) characters."))
                pending.append((item, depth + 1))


class StrictJSONParser(JSONParser):
    """DRF's JSON parser with the checks above."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_float=JsonNumber, parse_constant=_no_constants)
        except RecursionError:
            raise ParseError(
                _("The JSON is nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
            ) from None
        except (ValueError, UnicodeDecodeError) as error:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": error}) from None
        _refuse_nul_and_depth(data)
        return data


def _no_constants(name: str) -> Any:
    # NaN and Infinity are not JSON; Python's reader accepts them unless told otherwise.
    raise ValueError(_("%(name)s is not a JSON value.") % {"name": name})
