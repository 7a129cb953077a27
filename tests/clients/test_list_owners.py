"""A list page names each row's owner and branch, also people and branches its filters do not
list (a former employee, a closed office), with one statement for all of those."""

from __future__ import annotations

import re
from html import unescape

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kartoteka.accounts.models import Branch, User
from tests.conftest import Personas
from tests.factories.accounts import BranchFactory, UserFactory
from tests.factories.clients import ContactFactory

PAGE = "/contacts/?sort=name&cols=owner&cols=branch"
ROW = re.compile(
    r'<tr class="list-row".*?<a class="clip" title="([^"]*)".*?'
    r'<td class="cell-owner"[^>]*><span class="clip" title="([^"]*)">.*?'
    r'<td class="cell-branch"[^>]*><span class="clip" title="([^"]*)">',
    re.S,
)


def _rows(client: Client) -> tuple[dict[str, tuple[str, str]], int]:
    # Each row's name -> (its owner cell, its branch cell); and the page's statements.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PAGE)
    assert response.status_code == 200
    found = ROW.findall(response.content.decode())
    return {unescape(name): (unescape(o), unescape(b)) for name, o, b in found}, len(queries)


def _gone(name: str) -> tuple[User, Branch]:
    """A former employee of a closed office: in no owner or branch filter."""
    branch = BranchFactory(name=f"Офис {name}", is_active=False)
    user = UserFactory(first_name=name, last_name="Ушедший", branch=branch, is_active=False)
    return user, branch


def test_rows_name_their_owners_and_branches_listed_or_not(
    client: Client, personas: Personas
) -> None:
    ContactFactory(last_name="Алексеев", owner=personas.manager_a)
    ContactFactory(last_name="Борисов", owner=personas.manager_b)
    former, closed = _gone("Олег")
    ContactFactory(last_name="Васильев", owner=former)
    client.force_login(personas.admin)
    client.get(PAGE)  # warm per-process caches
    rows, statements = _rows(client)
    assert rows["Алексеев Иван"] == (str(personas.manager_a), str(personas.branch_a))
    assert rows["Борисов Иван"] == (str(personas.manager_b), str(personas.branch_b))
    assert rows["Васильев Иван"] == ("Олег Ушедший", closed.name)

    for name in ("Пётр", "Павел", "Фёдор"):
        ContactFactory(last_name=f"Г{name}", owner=_gone(name)[0])
    rows, more = _rows(client)
    assert rows["ГПётр Иван"] == ("Пётр Ушедший", "Офис Пётр")
    assert more == statements, "people no filter lists are read together, in one statement"


def test_a_manager_sees_the_owner_of_a_record_shared_with_them(
    client: Client, personas: Personas
) -> None:
    """The owner filter lists a manager's own branch; a record shared from another branch still
    names its owner there."""
    from kartoteka.records.sharing import share_create

    theirs = ContactFactory(last_name="Дмитриев", owner=personas.manager_b)
    share_create(actor=personas.admin, obj=theirs, user=personas.manager_a)
    client.force_login(personas.manager_a)
    rows, _ = _rows(client)
    assert rows["Дмитриев Иван"] == (str(personas.manager_b), str(personas.branch_b))
