"""The demo company's history and plans: two years of calls, meetings, emails, notes and
inquiries, tasks (overdue, today, upcoming, done, delegated) and this week's meetings.

Called by :func:`kartoteka.demo.create_demo` after the clients exist. Texts are Russian, as the
demo company is. Rows are bulk-inserted (the services' checks and audit are for people's edits;
this is a fixture), so ``kartoteka demo --size small`` stays a matter of seconds. Running it again
adds history only for clients that have none yet, and tasks and meetings only when there are none.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Model
from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.activities.models import (
    Activity,
    CalendarEvent,
    EventParticipant,
    RefusalReason,
    Task,
)
from kartoteka.clients.models import Company, Contact, Employment

#: activities per client over the two years, on average
PER_CLIENT = 6
DAYS = 730
BATCH = 5_000

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
TASK_TITLES = [
    "Перезвонить по КП",
    "Отправить счёт",
    "Подготовить договор",
    "Согласовать скидку с руководителем",
    "Отправить образцы",
    "Напомнить об оплате",
    "Уточнить реквизиты",
    "Подготовить акт сверки",
    "Назначить встречу",
    "Отправить прайс-лист",
]
DELEGATED_TITLES = [
    "Подготовить отчёт по клиенту",
    "Проверить дебиторку",
    "Встретиться с новым закупщиком",
    "Вернуть клиента: давно не заказывал",
]
CHECKLIST = [
    [{"text": "Проверить остатки", "done": True}, {"text": "Согласовать цену", "done": False}],
    [
        {"text": "Подготовить документы", "done": False},
        {"text": "Отправить курьером", "done": False},
    ],
]


@dataclass
class _Client:
    contact_id: int | None
    company_id: int | None
    owner: User
    name: str = ""


@dataclass
class Report:
    activities: int = 0
    tasks: int = 0
    events: int = 0
    extra: list[str] = field(default_factory=list)


def _insert(objs: Iterable[Model]) -> None:
    """Insert rows of one model fast: PostgreSQL's COPY, SQLite's executemany. Moments and JSON
    go through their fields' own conversion (each database stores them its own way); everything
    else (text, numbers, dates, foreign key ids) as it is."""
    rows = list(objs)
    if not rows:
        return
    meta = rows[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key and not f.generated]
    # psycopg takes aware datetimes as they are; SQLite stores them as Django's text.
    kinds = ("JSONField",) if connection.vendor == "postgresql" else ("DateTimeField", "JSONField")
    convert = [f.get_db_prep_save if f.get_internal_type() in kinds else None for f in fields]
    values = [
        tuple(
            conv(getattr(row, f.attname), connection) if conv else getattr(row, f.attname)
            for f, conv in zip(fields, convert, strict=True)
        )
        for row in rows
    ]
    quote = connection.ops.quote_name
    table, columns = quote(meta.db_table), ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One COPY instead of a round trip per row.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the meta
                table, columns, ", ".join(["%s"] * len(fields))
            )
            cursor.executemany(sql, values)


def _chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _working_moment(rnd: random.Random, day: datetime.date) -> datetime.datetime:
    """A moment on a working day's hours (9:00-19:00 local time)."""
    while day.weekday() >= 5 and rnd.random() < 0.9:
        day -= datetime.timedelta(days=1)
    local = datetime.datetime.combine(
        day, datetime.time(rnd.randint(9, 18), rnd.choice((0, 10, 15, 20, 30, 40, 45, 50)))
    )
    return timezone.make_aware(local)


def _reasons() -> list[RefusalReason]:
    for position, name in enumerate(REFUSAL_REASONS):
        RefusalReason.objects.get_or_create(name=name, defaults={"position": position})
    return list(RefusalReason.objects.filter(name__in=REFUSAL_REASONS))


def _clients(owners: dict[int, User]) -> list[_Client]:
    """Clients that have no history yet: people (with their employer, if any) and companies."""
    last_contact = Activity.all_objects.aggregate(m=Max("contact_id"))["m"] or 0
    last_company = (
        Activity.all_objects.filter(contact__isnull=True).aggregate(m=Max("company_id"))["m"] or 0
    )
    employer = dict(
        Employment.objects.filter(contact_id__gt=last_contact)
        .order_by("contact_id", "id")
        .values_list("contact_id", "company_id")
    )
    found = []
    for pk, owner_id, last, first in (
        Contact.objects.filter(pk__gt=last_contact)
        .order_by("pk")
        .values_list("pk", "owner_id", "last_name", "first_name")
    ):
        if owner_id in owners:
            found.append(_Client(pk, employer.get(pk), owners[owner_id], f"{last} {first}"))
    for pk, owner_id, name in (
        Company.objects.filter(pk__gt=last_company)
        .order_by("pk")
        .values_list("pk", "owner_id", "name")
    ):
        if owner_id in owners:
            found.append(_Client(None, pk, owners[owner_id], name))
    return found


def _activity(
    rnd: random.Random, client: _Client, when: datetime.datetime, reasons: list[RefusalReason]
) -> Activity:
    owner = client.owner
    kind = rnd.choices(
        ["call", "email", "meeting", "note", "inquiry"], weights=[45, 15, 10, 10, 20]
    )[0]
    values: dict[str, Any] = {
        "type": kind,
        "occurred_at": when,
        "created_at": when,
        "updated_at": when,
        "company_id": client.company_id,
        "contact_id": client.contact_id,
        "owner_id": owner.pk,
        "branch_id": owner.branch_id,
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
            reason = rnd.choice(reasons)
            values.update(reason_id=reason.pk, result=f"Отказ: {reason.name.lower()}.")
        elif outcome == "not_in_stock":
            values.update(result="Сообщить, когда появится на складе.")
    return Activity(**values)


def add_history(owners: list[User], seed: int) -> int:
    """Two years of activities for every client without any yet; returns how many."""
    rnd = random.Random(seed + 7)  # noqa: S311 - repeatable demo data
    by_id = {user.pk: user for user in owners}
    reasons = _reasons()
    today = timezone.localdate()
    clients = _clients(by_id)
    made = 0
    for part in _chunks(clients, BATCH // PER_CLIENT):
        rows = []
        for client in part:
            # Some clients are busy, most are quiet: 1 to 3×PER_CLIENT activities each.
            count = max(1, int(rnd.expovariate(1 / PER_CLIENT)))
            for _ in range(min(count, PER_CLIENT * 4)):
                # Recent months are busier than two years ago.
                back = int(DAYS * rnd.random() ** 1.6)
                when = _working_moment(rnd, today - datetime.timedelta(days=back))
                if when > timezone.now():
                    when -= datetime.timedelta(days=1)
                rows.append(_activity(rnd, client, when, reasons))
        with transaction.atomic():
            _insert(rows)
        made += len(rows)
    return made


def _task(
    rnd: random.Random,
    client: _Client,
    *,
    title: str,
    due: datetime.date,
    author: User | None = None,
    with_time: bool = False,
    done_at: datetime.datetime | None = None,
    created: datetime.datetime,
    remind: bool = False,
) -> Task:
    owner = client.owner
    due_at = None
    if with_time:
        due_at = timezone.make_aware(
            datetime.datetime.combine(due, datetime.time(rnd.randint(9, 17), rnd.choice((0, 30))))
        )
    return Task(
        title=f"{title}: {client.name}",
        description="",
        author_id=(author or owner).pk,
        owner_id=owner.pk,
        branch_id=owner.branch_id,
        due_date=due,
        due_at=due_at,
        remind_at=due_at - datetime.timedelta(minutes=30) if remind and due_at else None,
        priority=rnd.choices(["low", "normal", "high"], weights=[15, 65, 20])[0],
        done_at=done_at,
        done_by_id=owner.pk if done_at else None,
        company_id=client.company_id,
        contact_id=client.contact_id,
        checklist=rnd.choice(CHECKLIST) if rnd.random() < 0.15 else [],
        created_at=created,
        updated_at=done_at or created,
    )


def add_tasks(owners: list[User], heads: list[User], seed: int) -> int:
    """Each owner's tasks: overdue, today, upcoming, done, and some set by their head."""
    if Task.all_objects.exists():
        return 0
    rnd = random.Random(seed + 11)  # noqa: S311 - repeatable demo data
    today = timezone.localdate()
    now = timezone.now()
    clients_of: dict[int, list[_Client]] = {}
    for client in _clients_sample(owners):
        clients_of.setdefault(client.owner.pk, []).append(client)
    rows: list[Task] = []
    for owner in owners:
        mine = clients_of.get(owner.pk, [])
        if not mine:
            continue

        def pick(mine: list[_Client] = mine) -> _Client:
            return rnd.choice(mine)

        def title() -> str:
            return rnd.choice(TASK_TITLES)

        for _ in range(rnd.randint(2, 4)):  # overdue
            due = today - datetime.timedelta(days=rnd.randint(1, 10))
            rows.append(_task(rnd, pick(), title=title(), due=due, created=now - _days(rnd, 20)))
        for _ in range(rnd.randint(2, 4)):  # today
            rows.append(
                _task(
                    rnd,
                    pick(),
                    title=title(),
                    due=today,
                    with_time=rnd.random() < 0.6,
                    created=now - _days(rnd, 5),
                )
            )
        for _ in range(rnd.randint(3, 6)):  # upcoming
            due = today + datetime.timedelta(days=rnd.randint(1, 14))
            rows.append(
                _task(
                    rnd,
                    pick(),
                    title=title(),
                    due=due,
                    with_time=rnd.random() < 0.5,
                    remind=rnd.random() < 0.4,
                    created=now - _days(rnd, 5),
                )
            )
        for _ in range(len(mine) // 2 + 10):  # done, over the two years
            due = today - datetime.timedelta(days=int(DAYS * rnd.random() ** 1.5) + 1)
            done = _working_moment(rnd, due)
            rows.append(
                _task(
                    rnd,
                    pick(),
                    title=title(),
                    due=due,
                    done_at=done,
                    created=done - datetime.timedelta(days=rnd.randint(1, 7)),
                )
            )
        bosses = [head for head in heads if head.pk != owner.pk and _may_set(head, owner)]
        for _ in range(rnd.randint(1, 2) if bosses else 0):  # set by the head
            due = today + datetime.timedelta(days=rnd.randint(-3, 7))
            rows.append(
                _task(
                    rnd,
                    pick(),
                    title=rnd.choice(DELEGATED_TITLES),
                    due=due,
                    author=rnd.choice(bosses),
                    created=now - _days(rnd, 10),
                )
            )
    for part in _chunks(rows):
        with transaction.atomic():
            _insert(part)
    return len(rows)


def _days(rnd: random.Random, most: int) -> datetime.timedelta:
    return datetime.timedelta(days=rnd.randint(1, most), minutes=rnd.randint(0, 600))


def _may_set(head: User, owner: User) -> bool:
    # A branch head sets tasks in their branch; the head of sales anywhere.
    codes = {role.code for role in head.roles.all()}
    return "head_of_sales" in codes or head.branch_id == owner.branch_id


def _clients_sample(owners: list[User], per_owner: int = 300) -> list[_Client]:
    """Up to ``per_owner`` of each owner's contacts, as task and meeting targets."""
    found: list[_Client] = []
    for owner in owners:
        for pk, last, first in (
            Contact.objects.filter(owner=owner)
            .order_by("pk")
            .values_list("pk", "last_name", "first_name")[:per_owner]
        ):
            found.append(_Client(pk, None, owner, f"{last} {first}"))
    return found


def add_meetings(owners: list[User], seed: int) -> int:
    """This week's and next week's meetings of every owner, some with a colleague."""
    if CalendarEvent.all_objects.exists():
        return 0
    rnd = random.Random(seed + 13)  # noqa: S311 - repeatable demo data
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    clients_of: dict[int, list[_Client]] = {}
    for client in _clients_sample(owners, per_owner=50):
        clients_of.setdefault(client.owner.pk, []).append(client)
    colleagues: dict[int, list[User]] = {}
    for user in owners:
        colleagues.setdefault(user.branch_id, []).append(user)
    events: list[CalendarEvent] = []
    guests: list[list[User]] = []
    for owner in owners:
        mine = clients_of.get(owner.pk, [])
        if not mine:
            continue
        for _ in range(rnd.randint(4, 8)):
            day = monday + datetime.timedelta(days=rnd.randint(0, 11))
            if day.weekday() >= 5:
                day -= datetime.timedelta(days=2)
            start = timezone.make_aware(
                datetime.datetime.combine(
                    day, datetime.time(rnd.randint(9, 17), rnd.choice((0, 30)))
                )
            )
            client = rnd.choice(mine)
            events.append(
                CalendarEvent(
                    title=f"{rnd.choice(MEETING_SUBJECTS)}: {client.name}",
                    starts_at=start,
                    ends_at=start + datetime.timedelta(minutes=rnd.choice((30, 60, 60, 90))),
                    location=rnd.choice(MEETING_PLACES),
                    contact_id=client.contact_id,
                    owner_id=owner.pk,
                    branch_id=owner.branch_id,
                    remind_before=rnd.choice((None, 15, 30)),
                )
            )
            others = [u for u in colleagues.get(owner.branch_id, []) if u.pk != owner.pk]
            guests.append([owner, rnd.choice(others)] if others and rnd.random() < 0.3 else [owner])
    with transaction.atomic():
        # Events need their ids for the participants: bulk_create returns them on both databases.
        CalendarEvent.objects.bulk_create(events, batch_size=1000)
        _insert(
            EventParticipant(event_id=event.pk, user_id=user.pk)
            for event, people in zip(events, guests, strict=True)
            for user in people
        )
    return len(events)


def create_history(people: list[User], seed: int) -> Report:
    """Activities, tasks and meetings of the demo company (only what is missing)."""
    owners = [
        user
        for user in people
        if any(role.code in ("sales_manager", "branch_head") for role in user.roles.all())
    ]
    heads = [
        user
        for user in people
        if any(role.code in ("branch_head", "head_of_sales") for role in user.roles.all())
    ]
    report = Report()
    report.activities = add_history(owners, seed)
    report.tasks = add_tasks(owners, heads, seed)
    report.events = add_meetings(owners, seed)
    return report
