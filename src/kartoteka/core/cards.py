"""Tabs that apps add to a record kind's card, without the card's app importing them.

The clients app renders a company's or contact's card; the activities app, above it in the
layers, adds the "Timeline" tab there by registering it here (in its ``AppConfig.ready``)::

    cards.register_tab("companies", cards.CardTab(
        key="timeline", label=_("Timeline"), url_name="activities:company-timeline", position=30,
        actions=(cards.CardAction("call", pgettext_lazy("log", "Log call")),),
    ))

The card shows every registered tab in ``position`` order among its own (a registered tab with
the key of a built-in one replaces it) and fills its panel from ``url_name``, reversed with the
record's id: an htmx fragment, or the full page when asked without htmx (the link a browser
without JavaScript follows). ``actions`` become buttons in the card's header that open the tab
with ``?<action_param>=<action key>``, passed on to the fragment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kartoteka.accounts.models import User


@dataclass(frozen=True)
class CardAction:
    """A button in the card's header that opens its tab with ``?<param>=<key>`` (or, with
    ``href``, goes to the page ``href(record)`` names: "plan a task about this client")."""

    key: str
    label: Any  # a lazy translation
    href: Callable[[Any], str] | None = None
    #: who gets this button, besides the tab's ``actions_shown_to`` (default: all of them)
    shown_to: Callable[[User], bool] | None = None


@dataclass(frozen=True)
class CardTab:
    key: str  # the ?tab= value and the panel's element id
    label: Any  # a lazy translation
    url_name: str  # reversed with ``pk``: the panel's fragment (htmx) or full page
    position: int = 50  # built-in tabs: details 10, people 20, timeline 30, sharing 90
    #: query parameters of the card's address passed on to the fragment ("type", "person"...)
    params: tuple[str, ...] = ()
    actions: tuple[CardAction, ...] = ()
    action_param: str = "log"
    #: who gets the tab (default: everyone who sees the card)
    shown_to: Callable[[User], bool] | None = None
    #: what the header's action buttons need besides seeing the card
    actions_shown_to: Callable[[User, Any], bool] | None = None


_TABS: dict[str, dict[str, CardTab]] = {}


def register_tab(entity: str, tab: CardTab) -> None:
    """Add ``tab`` to the cards of ``entity`` ("companies", "contacts"); a second registration
    of the same key replaces the first (a test may stand in its own)."""
    _TABS.setdefault(entity, {})[tab.key] = tab


def unregister_tab(entity: str, key: str) -> None:
    _TABS.get(entity, {}).pop(key, None)


def tabs_for(entity: str, user: User | None = None) -> list[CardTab]:
    """The tabs registered for ``entity`` that ``user`` gets, in position order."""
    found = sorted(_TABS.get(entity, {}).values(), key=lambda tab: (tab.position, tab.key))
    if user is None:
        return found
    return [tab for tab in found if tab.shown_to is None or tab.shown_to(user)]


@dataclass
class ShownTab:
    """A registered tab as one card shows it: its fragment's address with the passed-on query."""

    tab: CardTab
    url: str
    actions: list[tuple[CardAction, str]] = field(default_factory=list)
