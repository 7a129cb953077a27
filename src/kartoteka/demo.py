"""`kartoteka demo`: a realistic company to try Kartoteka on, and data at scale for benchmarks.

Five branches in Russian cities, people in every built-in role, and a client base generated with
Faker's ru_RU locale (valid INN check digits, +7 phone numbers), then their history, tasks and
meetings (:mod:`kartoteka.demo_activities`, :mod:`kartoteka.demo_plans`). Everything is loaded as
plain rows from pre-generated name pools by :mod:`kartoteka.core.bulk_load`, so a million
contacts with five million activities load in minutes. Running it again adds only what is
missing, so it is safe to call on every start.
"""

from __future__ import annotations

import datetime
import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from faker import Faker

from kartoteka.accounts.models import Branch, Role, Team, User
from kartoteka.accounts.services import user_create
from kartoteka.activities.services.important_dates import run_important_dates
from kartoteka.clients.models import (
    Company,
    CompanyEmail,
    CompanyPhone,
    Contact,
    ContactEmail,
    ContactPhone,
    Employment,
    RelatedPerson,
)
from kartoteka.core import bulk_load, search
from kartoteka.core.inn import inn_with_check_digits
from kartoteka.demo_activities import add_history
from kartoteka.demo_plans import add_meetings, add_tasks
from kartoteka.records.models import Tag

SIZES = {"small": 600, "medium": 20_000, "large": 200_000}
BATCH = 5_000
#: rows loaded from which SQLite's planner gets fresh statistics too (PostgreSQL always gets
#: them); below that its defaults serve as well, and stale figures of a tiny demo would not
ANALYZE_FROM = 100_000
BRANCHES = [
    ("Москва", "Москва"),
    ("Санкт-Петербург", "Санкт-Петербург"),
    ("Казань", "Казань"),
    ("Новосибирск", "Новосибирск"),
    ("Екатеринбург", "Екатеринбург"),
]
REGIONS = {
    "Москва": "Москва",
    "Санкт-Петербург": "Санкт-Петербург",
    "Казань": "Республика Татарстан",
    "Новосибирск": "Новосибирская область",
    "Екатеринбург": "Свердловская область",
}


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    branch: str
    role: str
    team: bool = True


PEOPLE = [
    DemoPerson("admin", "Анна", "Смирнова", "Москва", "administrator", team=False),
    DemoPerson("orlov", "Игорь", "Орлов", "Москва", "head_of_sales", team=False),
    DemoPerson("kuznetsova", "Мария", "Кузнецова", "Москва", "branch_head"),
    DemoPerson("petrov", "Павел", "Петров", "Москва", "sales_manager"),
    DemoPerson("ivanova", "Ирина", "Иванова", "Москва", "sales_manager"),
    DemoPerson("sokolov", "Дмитрий", "Соколов", "Москва", "service_agent"),
    DemoPerson("lebedeva", "Ольга", "Лебедева", "Москва", "marketer", team=False),
    DemoPerson("morozov", "Сергей", "Морозов", "Москва", "auditor", team=False),
    DemoPerson("volkova", "Елена", "Волкова", "Санкт-Петербург", "branch_head"),
    DemoPerson("fedorov", "Алексей", "Фёдоров", "Санкт-Петербург", "sales_manager"),
    DemoPerson("nikitina", "Светлана", "Никитина", "Санкт-Петербург", "sales_manager"),
    DemoPerson("galiev", "Ринат", "Галиев", "Казань", "branch_head"),
    DemoPerson("khabibullina", "Алсу", "Хабибуллина", "Казань", "sales_manager"),
    DemoPerson("zaitsev", "Андрей", "Зайцев", "Новосибирск", "sales_manager"),
    DemoPerson("belova", "Наталья", "Белова", "Екатеринбург", "sales_manager"),
    DemoPerson("popov", "Виктор", "Попов", "Екатеринбург", "service_agent"),
]

LEGAL_FORMS = ["ООО", "АО", "ПАО", "ИП", "ООО", "ООО"]
INDUSTRY_WORDS = [
    "Торг",
    "Строй",
    "Снаб",
    "Логистик",
    "Пром",
    "Агро",
    "Мед",
    "Тех",
    "Сервис",
    "Маркет",
    "Трейд",
    "Инвест",
    "Энерго",
    "Авто",
    "Мебель",
    "Текстиль",
    "Фарм",
    "Софт",
    "Пласт",
    "Металл",
]


def _password_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-password.txt"


def _demo_password(reset: bool) -> str:
    path = _password_file()
    if path.exists() and not reset:
        return path.read_text(encoding="utf-8").strip()
    password = "demo-" + secrets.token_urlsafe(9)
    path.write_text(password, encoding="utf-8")
    path.chmod(0o600)
    return password


def target_size(size: str) -> int:
    if size in SIZES:
        return SIZES[size]
    try:
        number = int(size.replace("_", ""))
    except ValueError:
        raise SystemExit(
            f"kartoteka demo: --size must be small, medium, large or a number, not {size!r}"
        ) from None
    if number < 0:
        raise SystemExit("kartoteka demo: --size must not be negative")
    return number


def _ensure_people(password: str, reset: bool) -> list[User]:
    branches = {
        name: Branch.objects.get_or_create(name=name, defaults={"city": city})[0]
        for name, city in BRANCHES
    }
    roles = {role.code: role for role in Role.objects.all()}
    teams = {
        name: Team.objects.get_or_create(name=f"Продажи {name}", branch=branch)[0]
        for name, branch in branches.items()
    }
    users = []
    for person in PEOPLE:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = user_create(
                actor=None,
                username=person.username,
                password=password,
                branch=branches[person.branch],
                first_name=person.first_name,
                last_name=person.last_name,
                email=f"{person.username}@example.ru",
                roles=[roles[person.role]],
                is_superuser=person.role == "administrator",
                teams=[teams[person.branch]] if person.team else [],
            )
        elif reset:
            user.set_password(password)
            user.save(update_fields=["password"])
        users.append(user)
    return users


class _Pools:
    """Names drawn once from Faker, then combined at random: fast enough for millions."""

    def __init__(self, seed: int) -> None:
        fake = Faker("ru_RU")
        fake.seed_instance(seed)
        self.random = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
        self.male = [
            (fake.first_name_male(), fake.last_name_male(), fake.middle_name_male())
            for _ in range(300)
        ]
        self.female = [
            (fake.first_name_female(), fake.last_name_female(), fake.middle_name_female())
            for _ in range(300)
        ]
        self.words = [fake.word().capitalize() for _ in range(400)]
        self.domains = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "rambler.ru"]

    def phone(self) -> str:
        return "+79" + "".join(self.random.choice("0123456789") for _ in range(9))

    def email(self, prefix: str) -> str:
        return f"{prefix}{self.random.randint(1, 10**9)}@{self.random.choice(self.domains)}"

    def inn(self, *, person: bool = False) -> str:
        """An INN with valid check digits: 10 digits for an organisation, 12 for a person (a
        sole proprietor, ИП, is registered as one)."""
        body = str(self.random.randint(10, 99)) + "".join(
            self.random.choice("0123456789") for _ in range(8 if person else 7)
        )
        return inn_with_check_digits(body)

    def company_name(self) -> str:
        word = self.random.choice(self.words) + self.random.choice(INDUSTRY_WORDS).lower()
        return f"{self.random.choice(LEGAL_FORMS)} «{word}»"

    def person(self) -> tuple[str, str, str]:
        return self.random.choice(self.male if self.random.random() < 0.5 else self.female)


def _batches(total: int) -> Iterator[int]:
    done = 0
    while done < total:
        step = min(BATCH, total - done)
        yield step
        done += step


INDUSTRIES = [
    "Розничная торговля",
    "Оптовая торговля",
    "Строительство",
    "Производство",
    "Логистика",
    "IT",
    "Медицина",
    "Общепит",
    "Образование",
    "Сельское хозяйство",
]
SOURCES = [
    "Сайт",
    "Рекомендация",
    "Выставка",
    "Яндекс.Директ",
    "Холодный звонок",
    "Повторное обращение",
]
POSITIONS = [
    "Генеральный директор",
    "Коммерческий директор",
    "Главный бухгалтер",
    "Менеджер по закупкам",
    "Руководитель отдела снабжения",
    "Офис-менеджер",
    "Инженер",
]
TAGS = [
    ("VIP", "#b42318"),
    ("Постоянный клиент", "#1d7a46"),
    ("Опт", "#6941c6"),
    ("Есть дети", "#c4320a"),
]


def _add_clients(
    contacts_wanted: int, owners: list[User], seed: int, log: Callable[[str], None] | None
) -> tuple[int, int]:
    cities = dict(Branch.objects.values_list("pk", "city"))
    tags = [
        Tag.objects.get_or_create(name=name, defaults={"color": color})[0] for name, color in TAGS
    ]
    pools = _Pools(seed + Contact.all_objects.count())
    rnd = pools.random
    companies_wanted = contacts_wanted * 3 // 10
    new_companies = max(0, companies_wanted - Company.all_objects.count())
    new_contacts = max(0, contacts_wanted - Contact.all_objects.count())
    company, contact = (
        bulk_load.Table(Company, with_id=True),
        bulk_load.Table(Contact, with_id=True),
    )
    company_phone, company_email = bulk_load.Table(CompanyPhone), bulk_load.Table(CompanyEmail)
    company_tag = bulk_load.Table(Company.tags.through)
    phone, email = bulk_load.Table(ContactPhone), bulk_load.Table(ContactEmail)
    job, relative = bulk_load.Table(Employment), bulk_load.Table(RelatedPerson)
    with ExitStack() as indexes:
        # Into (nearly) empty tables, each index is built once at the end (see bulk_load).
        loads: list[tuple[type[Model], int]] = [
            (Company, new_companies),
            (CompanyPhone, new_companies),
            (CompanyEmail, new_companies),
            (Company.tags.through, new_companies // 7),
            (Contact, new_contacts),
            (ContactPhone, new_contacts),
            (ContactEmail, new_contacts * 8 // 10),
            (Employment, new_contacts * 7 // 10),
            (RelatedPerson, new_contacts // 10),
        ]
        for model, adding in loads:
            indexes.enter_context(bulk_load.indexes_built_after(model, adding, log))
        for step in _batches(new_companies):
            with transaction.atomic():
                firms = []
                for pk in bulk_load.new_ids(Company, step):
                    owner = rnd.choice(owners)
                    name = pools.company_name()
                    firms.append(
                        company.row(
                            id=pk,
                            name=name,
                            legal_form=name.split(" ", 1)[0],
                            inn=pools.inn(person=name.startswith("ИП ")),
                            industry=rnd.choice(INDUSTRIES),
                            city=cities.get(owner.branch_id, ""),
                            region=REGIONS.get(cities.get(owner.branch_id, ""), ""),
                            source=rnd.choice(SOURCES),
                            status=rnd.choice(["prospect", "client", "client", "former"]),
                            owner_id=owner.pk,
                            branch_id=owner.branch_id,
                        )
                    )
                company.load(firms)
                ids = [row[company.position["id"]] for row in firms]
                company_phone.load(
                    [
                        company_phone.row(company_id=pk, number=pools.phone(), kind="work")
                        for pk in ids
                    ]
                )
                company_email.load(
                    [company_email.row(company_id=pk, address=pools.email("info")) for pk in ids]
                )
                company_tag.load(
                    [
                        company_tag.row(company_id=pk, tag_id=rnd.choice(tags).pk)
                        for pk in ids
                        if rnd.random() < 0.15
                    ]
                )
        company_ids: dict[int, list[int]] = {}
        for pk, branch_id in Company.objects.values_list("pk", "branch_id").order_by("pk")[
            :200_000
        ]:
            company_ids.setdefault(branch_id, []).append(pk)
        for step in _batches(new_contacts):
            with transaction.atomic():
                people, branches = [], []
                for pk in bulk_load.new_ids(Contact, step):
                    owner = rnd.choice(owners)
                    first, last, middle = pools.person()
                    birthday = (
                        datetime.date(
                            rnd.randint(1955, 2003), rnd.randint(1, 12), rnd.randint(1, 28)
                        )
                        if rnd.random() < 0.6
                        else None
                    )
                    people.append(
                        contact.row(
                            id=pk,
                            first_name=first,
                            last_name=last,
                            middle_name=middle,
                            birthday=birthday,
                            owner_id=owner.pk,
                            branch_id=owner.branch_id,
                        )
                    )
                    branches.append((pk, owner.branch_id))
                contact.load(people)
                phone.load([phone.row(contact_id=pk, number=pools.phone()) for pk, _ in branches])
                email.load(
                    [
                        email.row(contact_id=pk, address=pools.email("client"))
                        for pk, _ in branches
                        if rnd.random() < 0.8
                    ]
                )
                jobs = []
                for pk, branch_id in branches:
                    in_branch = company_ids.get(branch_id, [])
                    if in_branch and rnd.random() < 0.7:
                        jobs.append(
                            job.row(
                                contact_id=pk,
                                company_id=rnd.choice(in_branch),
                                position=rnd.choice(POSITIONS),
                            )
                        )
                job.load(jobs)
                relative.load(
                    [
                        relative.row(
                            contact_id=pk,
                            name=pools.person()[0],
                            relation=rnd.choice(["spouse", "child"]),
                            birthday=datetime.date(
                                rnd.randint(1960, 2020), rnd.randint(1, 12), rnd.randint(1, 28)
                            ),
                        )
                        for pk, _ in branches
                        if rnd.random() < 0.1
                    ]
                )
    return new_companies, new_contacts


def _with_role(people: list[User], *codes: str) -> list[User]:
    return [user for user in people if any(role.code in codes for role in user.roles.all())]


def create_demo(
    *,
    size: str = "small",
    seed: int = 2026,
    reset_password: bool = False,
    log: Callable[[str], None] | None = None,
) -> list[str]:
    """Create (or top up) the demo company; returns lines to print, the password among them.
    ``log`` hears each phase's time as it ends (``kartoteka demo`` prints them)."""
    contacts_wanted = target_size(size)
    password = _demo_password(reset_password)
    people = _ensure_people(password, reset_password)
    began = time.perf_counter()

    def phase(text: str) -> None:
        nonlocal began
        if log:
            log(f"{text} in {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()

    owners = _with_role(people, "sales_manager", "branch_head")
    heads = _with_role(people, "branch_head", "head_of_sales")
    with bulk_load.bulk_session():
        new_companies, new_contacts = _add_clients(contacts_wanted, owners, seed, log)
        phase(f"clients: +{new_companies} companies, +{new_contacts} contacts")
        activities, hot = add_history(owners, seed, log=log)
        phase(f"history: +{activities} activities" + (f" (company {hot} the most)" if hot else ""))
        tasks = add_tasks(owners, heads, seed, log=log)
        phase(f"tasks: +{tasks}")
        meetings = add_meetings(owners, seed)
        phase(f"meetings: +{meetings}")
        # Birthdays in the next days become the owners' tasks at once, as the daily job would.
        reminded = run_important_dates().tasks
        phase(f"important dates: +{reminded} tasks")
        # Bulk inserts skip the services, so the search index is redone in one pass at the end
        # (also when an older database without an index is topped up with nothing new).
        if new_companies or new_contacts or not search.is_complete():
            search.rebuild()
            phase("search index")
        loaded = new_companies + new_contacts + activities + tasks
        if loaded and (connection.vendor == "postgresql" or loaded >= ANALYZE_FROM):
            bulk_load.analyze()
            phase("statistics (ANALYZE)")
    return [
        f"Demo company ready: {len(BRANCHES)} branches, {len(people)} users, "
        f"{Company.objects.count()} companies (+{new_companies}), "
        f"{Contact.objects.count()} contacts (+{new_contacts}); "
        f"+{activities} activities, +{tasks + reminded} tasks, +{meetings} meetings.",
        f"Log in at http://{settings.SERVER_HOST}:{settings.SERVER_PORT}/login/",
        "  as the administrator: admin",
        f"  password (every demo user has it): {password}",
        "  other users: " + ", ".join(p.username for p in PEOPLE[1:]),
    ]
