"""The demo company's history: two years of calls, meetings, emails, notes and inquiries for
every client, and one company with a long history (the "hot" client of the benchmarks).

Called by :func:`kartoteka.demo.create_demo` after the clients exist (its tasks and meetings are
:mod:`kartoteka.demo_plans`). Texts are Russian, as the demo company is. Rows are plain values
loaded by :mod:`kartoteka.core.bulk_load` (the services' checks and audit are for people's edits;
this is a fixture): ``--size small`` takes seconds, and ``--size 1000000`` writes its 5,000,000
activities in minutes. Running it again adds history only for clients that have none yet. The
same seed on the same clients gives the same history (as of the day it runs).
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activities.models import Activity, RefusalReason
from kartoteka.clients.models import Company, Contact, Employment
from kartoteka.core import bulk_load

#: activities per client over the two years: 1 to 4×PER_CLIENT, 3.9 on average, so with
#: 0.3 companies per contact about 5 per contact (5,000,000 at ``--size 1000000``)
PER_CLIENT = 4.2
MEAN_PER_CLIENT = 3.9
#: the hot client's activities: a tenth of the contacts, from 200 up to this
HOT_MOST = 5_000
DAYS = 730
#: clients read per query and loaded per transaction (about 20,000 activities)
CLIENTS_PER_BATCH = 5_000

#: (contact id or None, company id or None, owner id, owner's branch id)
Client = tuple[int | None, int | None, int, int]

REFUSAL_REASONS = [
    "Дорого",
    "Нет в наличии",
    "Долгая доставка",
    "Купили у конкурента",
    "Не устроили условия оплаты",
    "Нет бюджета",
    "Передумали",
]

CALL_SUBJECTS = [
    "Уточнить сроки поставки",
    "Обсудить коммерческое предложение",
    "Напомнить об оплате счёта",
    "Узнать, как прошла отгрузка",
    "Предложить новую коллекцию",
    "Согласовать скидку на объём",
    "Договориться о встрече",
    "Поздравить с праздником",
    "Вопрос по возврату",
    "Сверка остатков",
]
CALL_RESULTS = [
    "Договорились о встрече на следующей неделе.",
    "Ждут КП до пятницы.",
    "Оплату проведут до конца месяца.",
    "Отгрузка прошла без замечаний.",
    "Попросили перезвонить после обеда.",
    "Интересуются оптовыми ценами.",
    "Решение принимает директор, он в отпуске до понедельника.",
    "Довольны сотрудничеством, планируют повторный заказ.",
    "Просят прислать образцы.",
    "Сравнивают с предложением конкурента.",
]
MEETING_SUBJECTS = [
    "Презентация ассортимента",
    "Переговоры по годовому контракту",
    "Знакомство с новым закупщиком",
    "Обсуждение условий поставки",
    "Демонстрация образцов",
    "Подписание договора",
]
MEETING_PLACES = [
    "Офис клиента",
    "Наш офис, переговорная 2",
    "Видеозвонок",
    "Шоурум",
    "Кафе «Шоколадница» у офиса клиента",
]
MEETING_RESULTS = [
    "Клиент выбрал три позиции для пробной партии.",
    "Согласовали график поставок на квартал.",
    "Нужно подготовить договор с отсрочкой платежа 30 дней.",
    "Попросили скидку 5 % при заказе от 500 000 ₽.",
    "Познакомились с новым закупщиком, обменялись контактами.",
    "Договор подписан, первая поставка через две недели.",
]
EMAIL_SUBJECTS = [
    "Коммерческое предложение",
    "Счёт на оплату",
    "Прайс-лист на новый сезон",
    "Акт сверки",
    "Подтверждение заказа",
    "Каталог новинок",
]
NOTES = [
    "Предпочитает звонки после 14:00.",
    "Бухгалтерия клиента работает только по ЭДО.",
    "У директора в марте день рождения — не забыть поздравить.",
    "Склад клиента принимает товар с 9 до 16.",
    "Просили не звонить по понедельникам: планёрка.",
    "Новый закупщик — Марина, прямой телефон в карточке.",
    "Клиент недоволен сроками последней поставки, держать на контроле.",
    "Работают по предоплате 50 %.",
]
PRODUCTS = [
    "Крем для обуви чёрный",
    "Пелевин «Generation П»",
    "Бумага А4 SvetoCopy, 5 пачек",
    "Кофе в зёрнах 1 кг",
    "Офисное кресло с подлокотниками",
    "Картриджи для HP LaserJet",
    "Чай зелёный листовой",
    "Ежедневники на следующий год с логотипом",
    "Зимние шины 205/55 R16",
    "Моющее средство для посуды, 5 л",
    "Перчатки нитриловые, 100 пар",
    "Маркеры для флипчарта",
    "Стеллаж металлический 2 м",
    "Вода питьевая 19 л, 20 бутылей",
    "Подарочные наборы к Новому году",
    "Кабель ВВГнг 3×2,5, 100 м",
]


def working_moment(rnd: random.Random, day: datetime.date) -> datetime.datetime:
    """A moment on a working day's hours (9:00-19:00 local time)."""
    while day.weekday() >= 5 and rnd.random() < 0.9:
        day -= datetime.timedelta(days=1)
    local = datetime.datetime.combine(
        day, datetime.time(rnd.randint(9, 18), rnd.choice((0, 10, 15, 20, 30, 40, 45, 50)))
    )
    return timezone.make_aware(local)


def _reasons() -> list[tuple[int, str]]:
    for position, name in enumerate(REFUSAL_REASONS):
        RefusalReason.objects.get_or_create(name=name, defaults={"position": position})
    return list(RefusalReason.objects.filter(name__in=REFUSAL_REASONS).values_list("pk", "name"))


def _last_with_history() -> tuple[int, int]:
    """The last contact and the last company (by id) that have a history of their own."""
    last_contact = Activity.all_objects.aggregate(m=Max("contact_id"))["m"] or 0
    last_company = (
        Activity.all_objects.filter(contact__isnull=True).aggregate(m=Max("company_id"))["m"] or 0
    )
    return last_contact, last_company


def _new_clients(
    owners: dict[int, int], last: tuple[int, int], size: int = CLIENTS_PER_BATCH
) -> Iterator[list[Client]]:
    """Clients after ``last`` (contact, company id), a batch at a time: people (with their
    employer, if any), then companies. Read by id ranges, so a million clients never sit in
    memory at once."""
    last_contact, last_company = last
    for people in _id_batches(Contact.objects.all(), last_contact, size):
        # The last job wins, as the card shows it.
        employer = dict(
            Employment.objects.filter(contact_id__gte=people[0][0], contact_id__lte=people[-1][0])
            .order_by("contact_id", "id")
            .values_list("contact_id", "company_id")
        )
        yield [(pk, employer.get(pk), o, owners[o]) for pk, o in people if o in owners]
    for firms in _id_batches(Company.objects.all(), last_company, size):
        yield [(None, pk, o, owners[o]) for pk, o in firms if o in owners]


def _id_batches(rows: QuerySet[Any], after: int, size: int) -> Iterator[list[tuple[int, int]]]:
    """(id, owner id) of the rows after ``after``, ``size`` at a time, in id order."""
    while batch := list(
        rows.filter(pk__gt=after).order_by("pk").values_list("pk", "owner_id")[:size]
    ):
        yield batch
        after = batch[-1][0]


def _hot_clients(owners: dict[int, int]) -> list[Client]:
    """The hot client, on a first history only: the first company, alone or with one of its
    people (logged by that person's owner, as every activity on a person is)."""
    if Activity.all_objects.exists():
        return []
    company = (
        Company.objects.filter(owner_id__in=owners)
        .order_by("pk")
        .values_list("pk", "owner_id")
        .first()
    )
    if company is None:
        return []
    pk, owner = company
    clients: list[Client] = [(None, pk, owner, owners[owner])]
    for person, person_owner in Employment.objects.filter(
        company_id=pk, contact__owner_id__in=owners
    ).values_list("contact_id", "contact__owner_id"):
        clients.append((person, pk, person_owner, owners[person_owner]))
    return clients


def _activity(
    rnd: random.Random,
    table: bulk_load.Table,
    client: Client,
    when: datetime.datetime,
    reasons: list[tuple[int, str]],
) -> list[Any]:
    contact_id, company_id, owner_id, branch_id = client
    kind = rnd.choices(
        ["call", "email", "meeting", "note", "inquiry"], weights=[45, 15, 10, 10, 20]
    )[0]
    values: dict[str, Any] = {
        "type": kind,
        "occurred_at": when,
        "created_at": when,
        "updated_at": when,
        "company_id": company_id,
        "contact_id": contact_id,
        "owner_id": owner_id,
        "branch_id": branch_id,
    }
    if kind == "call":
        outcome = rnd.choices(
            ["reached", "no_answer", "busy", "voicemail"], weights=[65, 20, 8, 7]
        )[0]
        reached = outcome == "reached"
        values.update(
            subject=rnd.choice(CALL_SUBJECTS),
            direction=rnd.choice(["in", "out", "out"]),
            outcome=outcome,
            duration=rnd.randint(40, 900) if reached else rnd.randint(0, 30),
            result=rnd.choice(CALL_RESULTS) if reached else "",
        )
        if reached and rnd.random() < 0.3:
            values["recording_url"] = f"https://pbx.example.ru/records/{rnd.randint(10**6, 10**7)}"
    elif kind == "meeting":
        values.update(
            subject=rnd.choice(MEETING_SUBJECTS),
            place=rnd.choice(MEETING_PLACES),
            duration=rnd.choice([30, 45, 60, 90, 120]) * 60,
            result=rnd.choice(MEETING_RESULTS),
        )
    elif kind == "email":
        subject = rnd.choice(EMAIL_SUBJECTS)
        values.update(
            subject=subject,
            direction=rnd.choice(["in", "out", "out"]),
            body=f"{subject}: во вложении. Если будут вопросы — звоните.",
        )
    elif kind == "note":
        values.update(body=rnd.choice(NOTES))
    else:
        product = rnd.choice(PRODUCTS)
        outcome = rnd.choices(
            ["sold", "not_in_stock", "refused", "pending"], weights=[45, 20, 20, 15]
        )[0]
        values.update(
            subject=f"Запрос: {product}",
            product_text=product,
            outcome=outcome,
            direction="in",
        )
        if outcome == "refused":
            reason_id, reason = rnd.choice(reasons)
            values.update(reason_id=reason_id, result=f"Отказ: {reason.lower()}.")
        elif outcome == "not_in_stock":
            values.update(result="Сообщить, когда появится на складе.")
    return table.row(**values)


def hot_size(contacts: int) -> int:
    """How many activities the hot client gets at this many contacts."""
    return min(HOT_MOST, max(200, contacts // 10))


def add_history(
    owners: list[User], seed: int, *, log: Callable[[str], None] | None = None
) -> tuple[int, int | None]:
    """Two years of activities for every client without any yet, and (when it has none yet)
    a long history for the first such company; returns (how many, the hot company's id)."""
    rnd = random.Random(seed + 7)  # noqa: S311 - repeatable demo data
    owner_branch = {user.pk: user.branch_id for user in owners}
    reasons = _reasons()
    today = timezone.localdate()
    now = timezone.now()
    table = bulk_load.Table(Activity)

    def moment() -> datetime.datetime:
        # Recent months are busier than two years ago; nothing in the future.
        back = int(DAYS * rnd.random() ** 1.6)
        when = working_moment(rnd, today - datetime.timedelta(days=back))
        return when - datetime.timedelta(days=1) if when > now else when

    last = last_contact, last_company = _last_with_history()
    new = Contact.objects.filter(pk__gt=last_contact, owner_id__in=owner_branch).count()
    new += Company.objects.filter(pk__gt=last_company, owner_id__in=owner_branch).count()
    hot = _hot_clients(owner_branch)
    hot_count = hot_size(Contact.objects.count()) if hot else 0
    expected = int(new * MEAN_PER_CLIENT) + hot_count
    made = 0
    with bulk_load.indexes_built_after(Activity, expected, log):
        for step in bulk_load.batches(hot_count):
            rows = []
            for _ in range(step):
                # On the company, four in ten with one of its people: every one of them with
                # the company's id, so the company's own history is at least this long.
                client = rnd.choice(hot[1:]) if len(hot) > 1 and rnd.random() < 0.4 else hot[0]
                rows.append(_activity(rnd, table, client, moment(), reasons))
            with transaction.atomic():
                table.load(rows)
            made += len(rows)
        for part in _new_clients(owner_branch, last):
            rows = []
            for client in part:
                # Some clients are busy, most are quiet.
                count = min(max(1, int(rnd.expovariate(1 / PER_CLIENT))), int(PER_CLIENT * 4))
                for _ in range(count):
                    rows.append(_activity(rnd, table, client, moment(), reasons))
            with transaction.atomic():
                table.load(rows)
            made += len(rows)
    return made, hot[0][1] if hot else None
