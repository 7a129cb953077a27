"""Python functions that every SQLite connection Kartoteka opens can call by name.

SQLite refuses to register a function on a connection while any statement on it is still
reading, and the tests' live server shares one connection between threads, so registering at
the moment a query is compiled fails now and then. Apps register theirs here when they load;
each new connection gets them all before its first statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

_FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {}


def register(name: str, arity: int, function: Callable[..., Any]) -> None:
    """Makes a deterministic ``name(...)`` callable in SQL on every connection opened from now."""
    _FUNCTIONS[name] = (arity, function)


def install(connection: sqlite3.Connection) -> None:
    """Registers every function so far on a freshly opened connection."""
    for name, (arity, function) in _FUNCTIONS.items():
        connection.create_function(name, arity, function, deterministic=True)
