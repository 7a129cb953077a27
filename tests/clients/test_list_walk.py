"""Lists remember and can be walked: pager totals both ways, the way back, Prev/Next on a card,
columns that cannot vary for the viewer, the density setting, the export in the list's order."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from kartoteka.accounts.models import User
from kartoteka.clients.models import Company
from kartoteka.core.models import RecordShare
from kartoteka.core.templatetags.kartoteka import thousands
from kartoteka.records.models import SavedView
from tests.conftest import Personas
from tests.factories.clients import CompanyFactory, ContactFactory


@pytest.fixture(autouse=True)
def in_russian(personas: Personas) -> None:
    """The people read the pages in Russian, as the office does."""
    User.objects.update(language="ru")
    for user in vars(personas).values():
        if isinstance(user, User):
            user.language = "ru"


def html_of(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return str(response.content.decode())


def names(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [unescape(n) for n in re.findall(r'href="/companies/\d+/">([^<]+)</a>', body)]


def pager_text(html: str) -> str:
    found = re.search(r"data-pager-range>([^<]+)<", html)
    assert found, "the pager shows where in the list one is"
    return unescape(found.group(1))


def link(html: str, marker: str) -> str | None:
    found = re.search(rf'<a [^>]*{marker}[^>]*href="([^"]+)"', html)
    return unescape(found.group(1)) if found else None


def test_numbers_have_the_locales_thousands_separator() -> None:
    with translation.override("ru"):
        assert thousands(12345) == "12\u00a0345"
        assert thousands(50) == "50"
    with translation.override("en"):
        assert thousands(1234567) == "1,234,567"


def test_pager_counts_the_whole_list_and_goes_both_ways(client: Client, personas: Personas) -> None:
    for number in range(105):
        CompanyFactory(owner=personas.admin, name=f"ООО «Страница {number:03}»")
    client.force_login(personas.admin)
    first = html_of(client, "/companies/?sort=name")
    assert pager_text(first) == "1–50 из 105"
    assert link(first, "data-pager-prev") is None
    second_url = link(first, "data-pager-next")
    assert second_url
    second = html_of(client, "/companies/" + second_url)
    assert pager_text(second) == "51–100 из 105"
    assert names(second)[0] == "ООО «Страница 050»"
    third = html_of(client, "/companies/" + (link(second, "data-pager-next") or ""))
    assert pager_text(third) == "101–105 из 105"
    assert link(third, "data-pager-next") is None
    back = html_of(client, "/companies/" + (link(third, "data-pager-prev") or ""))
    assert pager_text(back) == "51–100 из 105"
    assert names(back) == names(second)
    again = html_of(client, "/companies/" + (link(back, "data-pager-prev") or ""))
    assert names(again) == names(first) and pager_text(again) == "1–50 из 105"


def test_a_very_long_list_is_counted_only_so_far(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the count limit the pager says "more than" rather than scanning the whole list on
    every page; a page further than the limit says where it is without a number."""
    monkeypatch.setattr("kartoteka.core.pagination.COUNT_LIMIT", 60)
    for number in range(105):
        CompanyFactory(owner=personas.admin, name=f"ООО «Длинный {number:03}»")
    client.force_login(personas.admin)
    first = html_of(client, "/companies/?sort=name")
    assert pager_text(first) == "1–50 из более чем 60"
    second = html_of(client, "/companies/" + (link(first, "data-pager-next") or ""))
    assert pager_text(second) == "51–100 из более чем 60"
    third = html_of(client, "/companies/" + (link(second, "data-pager-next") or ""))
    assert pager_text(third) == "строки после первых 60"
    assert names(third) == [f"ООО «Длинный {n:03}»" for n in range(100, 105)]
    filtered = html_of(
        client, "/companies/?sort=name&q=%D0%94%D0%BB%D0%B8%D0%BD%D0%BD%D1%8B%D0%B9%20010"
    )
    shown = len(names(filtered))
    assert 1 <= shown < 60 and pager_text(filtered) == f"1–{shown} из {shown}"


def _counts(client: Client, url: str) -> tuple[str, int]:
    # The pager's text and how many counting statements the page made.
    with CaptureQueriesContext(connection) as queries:
        html = html_of(client, url)
    return pager_text(html), sum("COUNT(*)" in query["sql"] for query in queries)


def test_a_count_past_the_limit_is_kept_a_minute_and_one_within_it_never(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list of "more than 60" is not counted again on every page for a minute; a list within
    the limit is counted afresh each time, so a new record shows in its total at once."""
    monkeypatch.setattr("kartoteka.core.pagination.COUNT_LIMIT", 60)
    made = [CompanyFactory(owner=personas.admin, name=f"ООО «Долгий {n:03}»") for n in range(62)]
    client.force_login(personas.admin)
    assert _counts(client, "/companies/?sort=name") == ("1–50 из более чем 60", 1)
    assert _counts(client, "/companies/?sort=name") == ("1–50 из более чем 60", 0)
    # Another filter (or another reader) is another statement: counted for itself.
    mine = f"/companies/?sort=name&owner={personas.admin.pk}"
    assert _counts(client, mine) == ("1–50 из более чем 60", 1)
    Company.objects.filter(pk__in=[company.pk for company in made[:5]]).delete()
    # 57 now: the kept "more than 60" reads on until its minute is over.
    assert _counts(client, "/companies/?sort=name") == ("1–50 из более чем 60", 0)
    cache.clear()  # the minute is over
    assert _counts(client, "/companies/?sort=name") == ("1–50 из 57", 1)
    assert _counts(client, "/companies/?sort=name") == ("1–50 из 57", 1)
    CompanyFactory(owner=personas.admin, name="ООО «Новый»")
    assert _counts(client, "/companies/?sort=name") == ("1–50 из 58", 1)


def test_card_walks_the_filtered_sorted_list_and_returns_to_it(
    client: Client, personas: Personas
) -> None:
    made = {
        name: CompanyFactory(owner=personas.admin, name=name, city=city)
        for name, city in [
            ("Бета", "Тверь"),
            ("Альфа", "Тверь"),
            ("Гамма", "Омск"),  # filtered out: never a neighbour
            ("Дельта", "Тверь"),
            ("Вега", "Тверь"),
        ]
    }
    client.force_login(personas.admin)
    listed = html_of(client, "/companies/?city=Тверь&sort=name")
    assert names(listed) == ["Альфа", "Бета", "Вега", "Дельта"]

    card = html_of(client, f"/companies/{made['Бета'].pk}/")
    assert link(card, "data-walk-prev") == f"/companies/{made['Альфа'].pk}/"
    assert link(card, "data-walk-next") == f"/companies/{made['Вега'].pk}/"
    # The breadcrumb and the sidebar return to the list as it was left.
    back = link(card, "data-back-to-list")
    assert back is not None and back.startswith("/companies/?")
    assert names(html_of(client, back)) == ["Альфа", "Бета", "Вега", "Дельта"]
    assert f'href="{back.replace("&", "&amp;")}"' in html_of(client, "/")

    last = html_of(client, f"/companies/{made['Дельта'].pk}/")
    assert link(last, "data-walk-next") is None
    assert link(last, "data-walk-prev") == f"/companies/{made['Вега'].pk}/"

    html_of(client, "/companies/?city=Тверь&sort=-name")  # the list now sorts the other way
    card = html_of(client, f"/companies/{made['Бета'].pk}/")
    assert link(card, "data-walk-prev") == f"/companies/{made['Вега'].pk}/"
    assert link(card, "data-walk-next") == f"/companies/{made['Альфа'].pk}/"


def test_owner_and_branch_are_hidden_where_they_cannot_vary(
    client: Client, personas: Personas
) -> None:
    CompanyFactory(owner=personas.manager_a, name="ООО «Своя»")
    ContactFactory(owner=personas.manager_a, last_name="Свой")

    def headers(user: User, url: str) -> list[str]:
        client.force_login(user)
        head = html_of(client, url).split("<thead>", 1)[1].split("</thead>", 1)[0]
        return [
            re.sub(r"<[^>]+>|[▲▼]", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head)
        ]

    for url in ("/companies/", "/contacts/"):
        mine = headers(personas.manager_a, url)
        assert "Ответственный" not in mine and "Филиал" not in mine, url
        assert 'name="owner"' not in html_of(client, url)
        everyone = headers(personas.admin, url)
        assert "Ответственный" in everyone and "Филиал" in everyone, url
        assert 'name="owner"' in html_of(client, url)
    # A branch head sees several owners but one branch.
    branch_head = headers(personas.branch_head_a, "/companies/")
    assert "Ответственный" in branch_head and "Филиал" not in branch_head
    # The manager can still turn the column on.
    assert "Ответственный" in headers(personas.manager_a, "/companies/?cols=name&cols=owner")


def test_density_is_a_user_setting_and_a_saved_views(client: Client, personas: Personas) -> None:
    CompanyFactory(owner=personas.admin, name="ООО «Плотность»")
    client.force_login(personas.admin)
    assert "density-compact" in html_of(client, "/companies/")
    response = client.post(
        "/profile/density/", {"density": "comfortable", "next": "/companies/?sort=name"}
    )
    assert response.status_code == 302 and response["Location"] == "/companies/?sort=name"
    personas.admin.refresh_from_db()
    assert personas.admin.list_density == "comfortable"
    assert "density-comfortable" in html_of(client, "/companies/")
    # Saving a view keeps the density in force; opening the view brings it back.
    page = html_of(client, "/companies/?city=Тверь&sort=name")
    save_form = page.split('class="save-view"', 1)[1]
    query = unescape(re.search(r'name="query" value="([^"]*)"', save_form).group(1))  # type: ignore[union-attr]
    assert "density=comfortable" in query
    view = SavedView.objects.create(
        name="Просторно",
        entity="companies",
        owner=personas.admin,
        query="sort=name&density=compact",
    )
    assert "density-compact" in html_of(client, f"/companies/?{view.query}&view={view.pk}")
    # A nonsense density is refused and changes nothing.
    client.post("/profile/density/", {"density": "huge", "next": "/companies/"})
    personas.admin.refresh_from_db()
    assert personas.admin.list_density == "comfortable"
    # Elsewhere only a local address is followed back.
    response = client.post(
        "/profile/density/", {"density": "compact", "next": "https://evil.example/"}
    )
    assert response["Location"].endswith("/profile/")


def test_export_keeps_the_lists_sort(client: Client, personas: Personas) -> None:
    for name in ("Бета", "Альфа", "Вега"):
        CompanyFactory(owner=personas.admin, name=name)
    client.force_login(personas.admin)
    page = html_of(client, "/companies/?sort=-name")
    export = re.search(r'id="export-csv" href="([^"]+)"', page)
    assert export and "sort=-name" in unescape(export.group(1))

    def exported(url: str) -> list[str]:
        response: Any = client.get(url)
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return [row[1] for row in list(csv.reader(io.StringIO(text), delimiter=";"))[1:]]

    assert exported(unescape(export.group(1))) == ["Вега", "Бета", "Альфа"]
    assert exported("/companies/export/?sort=name") == ["Альфа", "Бета", "Вега"]


def test_pager_and_card_walk_queries_do_not_grow_with_the_list(
    client: Client, personas: Personas
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts(user: User) -> list[int]:
        client.force_login(user)
        first = html_of(client, "/companies/?sort=name")
        following = link(first, "data-pager-next")
        seen = []
        for url in ["/companies/?sort=name", f"/companies/{following}" if following else None]:
            if url is None:
                seen.append(-1)
                continue
            with CaptureQueriesContext(connection) as queries:
                html_of(client, url)
            seen.append(len(queries))
        card = Company.objects.filter(owner=user, name="ООО «Счёт 30»").get()
        html_of(client, f"/companies/{card.pk}/")  # warm the content-type cache
        html_of(client, f"/companies/{following}")  # the list the card walks again
        with CaptureQueriesContext(connection) as queries:
            html_of(client, f"/companies/{card.pk}/")
        seen.append(len(queries))
        return seen

    people = (personas.admin, personas.branch_head_a, personas.manager_a)
    for person in people:
        for number in range(55):
            CompanyFactory(owner=person, name=f"ООО «Счёт {number:02}»")
    small = {person.username: counts(person) for person in people}
    for person in people:
        for number in range(60):
            CompanyFactory(owner=person, name=f"ООО «Ещё {number:02}»")
    large = {person.username: counts(person) for person in people}
    assert large == small


def test_profile_sets_the_density(client: Client, personas: Personas) -> None:
    client.force_login(personas.manager_a)
    page = html_of(client, "/profile/")
    assert "Плотность строк" in page and 'value="compact" checked' in page
    response = client.post("/profile/density/", {"density": "comfortable", "next": "/profile/"})
    assert response["Location"] == "/profile/"
    assert 'value="comfortable" checked' in html_of(client, "/profile/")


def test_card_arrows_follow_the_list_and_skip_what_the_viewer_cannot_see(
    client: Client, personas: Personas
) -> None:
    """A sales manager walks his own companies and one shared with him, in the list's order;
    a colleague's company, one in the trash and one whose share has run out are never the
    next or previous card. The administrator, who sees everyone's, walks those too."""
    me, colleague, kazan = personas.manager_a, personas.colleague_a, personas.manager_b

    def company(owner: User, name: str) -> Any:
        return CompanyFactory(owner=owner, name=name)

    def share(target: Company, until: Any) -> None:
        RecordShare.objects.create(
            content_type=ContentType.objects.get_for_model(Company),
            object_id=target.pk,
            user=me,
            until=until,
            created_by=kazan,
        )

    # Created in this order (ids ascending); the names sort differently.
    own_1 = company(me, "Н3")
    hidden = company(colleague, "Н1а")
    shared = company(kazan, "Н1")
    share(shared, None)
    trashed = company(me, "Н2а")
    own_2 = company(me, "Н4")
    lapsed = company(kazan, "Н3а")
    share(lapsed, timezone.localdate() - timedelta(days=1))
    own_3 = company(me, "Н2")
    Company.all_objects.filter(pk=trashed.pk).update(deleted_at=timezone.now(), deleted_by=me)

    def arrows(target: Company) -> tuple[int | None, int | None]:
        card = html_of(client, f"/companies/{target.pk}/")
        found = [link(card, marker) for marker in ("data-walk-prev", "data-walk-next")]
        return tuple(  # type: ignore[return-value]
            int(url.strip("/").split("/")[-1]) if url else None for url in found
        )

    client.force_login(me)
    # The list newest first (no list opened yet): own_3, own_2, shared, own_1.
    assert arrows(own_3) == (None, own_2.pk)
    assert arrows(own_2) == (own_3.pk, shared.pk)
    assert arrows(shared) == (own_2.pk, own_1.pk)
    assert arrows(own_1) == (shared.pk, None)
    # By name: Н1 (shared), Н2 (own_3), Н3 (own_1), Н4 (own_2), as the list shows them.
    html_of(client, "/companies/?sort=name")
    assert arrows(shared) == (None, own_3.pk)
    assert arrows(own_3) == (shared.pk, own_1.pk)
    assert arrows(own_1) == (own_3.pk, own_2.pk)
    assert arrows(own_2) == (own_1.pk, None)
    html_of(client, "/companies/?sort=-name")
    assert arrows(own_1) == (own_2.pk, own_3.pk)

    client.force_login(personas.admin)
    html_of(client, "/companies/?sort=name")
    # Everyone's: Н1, Н1а (the colleague's), Н2, Н3, Н3а (the lapsed share), Н4; not the trash.
    assert arrows(own_3) == (hidden.pk, own_1.pk)
    assert arrows(own_1) == (own_3.pk, lapsed.pk)
