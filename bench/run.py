"""Time Kartoteka over HTTP against a running server: median and p95 per scenario, as JSON.

Run it beside a server started on the same database (see bench/README.md):

    KARTOTEKA_DATA_DIR=... KARTOTEKA_DATABASE_URL=... .venv/bin/python bench/run.py \
        --url http://127.0.0.1:8000 --requests 300 --out bench/results/sqlite-1m.json

It signs in as the demo administrator, warms every scenario up, then measures each request from
send to last byte over one keep-alive connection. It also times the phone lookup as a raw SQL
query in this process, to report how much the HTTP stack adds (ratio HTTP / SQL).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class Browser:
    """One keep-alive connection with cookies: what a user's browser holds."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, float]:
        all_headers = {**self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (http.client.HTTPException, ConnectionError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=all_headers)
            response = self.connection.getresponse()
            payload = response.read()
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _eq, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, payload, elapsed

    def log_in(self, username: str, password: str) -> None:
        status, page, _ = self.request("GET", "/login/")
        token = page.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        status, _page, _ = self.request(
            "POST",
            "/login/",
            form,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://{self.host}:{self.port}/login/",
            },
        )
        if status != 302:
            raise SystemExit(f"login as {username} failed with HTTP {status}")


def summary(seconds: list[float]) -> dict[str, float | int]:
    ordered = sorted(seconds)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)]
    return {
        "requests": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(p95 * 1000, 2),
        "min_ms": round(ordered[0] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


#: the unauthenticated floor every scenario is compared with
FLOOR = "health"


def against_floor(result: dict[str, Any], floor: dict[str, Any] | None) -> dict[str, float | None]:
    """A scenario's figures beside the floor measured in the same run: median and p95 as ratios
    to the floor's median and p95, what it adds to the floor's median in ms, and its own p95 /
    median (spikes; target at most 1.5)."""
    if "median_ms" not in result:
        return {}
    figures: dict[str, float | None] = {
        "p95_over_median": round(result["p95_ms"] / result["median_ms"], 2),
    }
    if floor and floor.get("median_ms"):
        figures["median_to_floor"] = round(result["median_ms"] / floor["median_ms"], 2)
        figures["p95_to_floor"] = round(result["p95_ms"] / floor["p95_ms"], 2)
        figures["median_over_floor_ms"] = round(result["median_ms"] - floor["median_ms"], 2)
    return figures


def table(results: dict[str, Any]) -> str:
    """The scenarios as a table: ms, ratios to the floor and p95 / median."""
    lines = [f"{'scenario':32} {'median':>8} {'p95':>8} {'med/fl':>7} {'p95/fl':>7} {'p95/med':>7}"]
    for name, result in results.items():
        if "median_ms" not in result:
            continue
        lines.append(
            f"{name:32} {result['median_ms']:8.2f} {result['p95_ms']:8.2f} "
            f"{result.get('median_to_floor', 1.0):7.2f} {result.get('p95_to_floor', 1.0):7.2f} "
            f"{result['p95_over_median']:7.2f}"
        )
    return "\n".join(lines)


def _activity_companies(
    cursor: Any, rng: random.Random, count: int, username: str
) -> tuple[list[int], list[int]]:
    """Companies with a history (the demo's, and bench/work_data.py's) that ``username`` owns
    when they own any (a sales manager logs calls on their own clients), and the company with
    the longest one."""
    cursor.execute("SELECT id FROM accounts_user WHERE username = %s", [username])
    user = cursor.fetchone()
    cursor.execute(
        "SELECT COUNT(*) FROM activities_activity a JOIN clients_company c ON c.id = a.company_id "
        "WHERE c.owner_id = %s",
        [user[0] if user else 0],
    )
    own = cursor.fetchone()[0] > 0
    cursor.execute(
        "SELECT DISTINCT a.company_id FROM activities_activity a "
        "JOIN clients_company c ON c.id = a.company_id"
        + (" WHERE c.owner_id = %s" if own else "")
        + " ORDER BY a.company_id LIMIT 20000",
        [user[0]] if own else [],
    )
    companies = [row[0] for row in cursor.fetchall()]
    history = [rng.choice(companies) for _ in range(count)] if companies else []
    cursor.execute(
        "SELECT company_id FROM activities_activity WHERE company_id IS NOT NULL "
        "GROUP BY company_id ORDER BY COUNT(*) DESC LIMIT 1"
    )
    hot = [row[0] for row in cursor.fetchall()]
    return history, hot


def sample_inputs(count: int, seed: int, username: str = "admin") -> dict[str, list[Any]]:
    """Real values from the database: phones to look up, name fragments, owners, cards, clients
    with a history of activities."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    django.setup()
    from django.db import connection

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM clients_contactphone")
        top = cursor.fetchone()[0] or 0
        ids = [rng.randint(1, top) for _ in range(count * 2)]
        cursor.execute(
            f"SELECT number FROM clients_contactphone WHERE id IN ({','.join(['%s'] * len(ids))})",
            ids,
        )
        phones = [row[0] for row in cursor.fetchall()][:count]
        cursor.execute("SELECT MAX(id) FROM clients_contact")
        top_contact = cursor.fetchone()[0] or 0
        ids = [rng.randint(1, top_contact) for _ in range(count * 2)]
        cursor.execute(
            f"SELECT last_name FROM clients_contact WHERE id IN ({','.join(['%s'] * len(ids))})",
            ids,
        )
        fragments = [row[0][: max(4, len(row[0]) - 2)] for row in cursor.fetchall()][:count]
        cursor.execute("SELECT MAX(id) FROM clients_company")
        top_company = cursor.fetchone()[0] or 0
        cursor.execute("SELECT DISTINCT owner_id FROM clients_company WHERE owner_id IS NOT NULL")
        owners = [row[0] for row in cursor.fetchall()]
        history, hot = _activity_companies(cursor, rng, count, username)
        # Deep list pages: cursor positions between a tenth and a half of the way down the
        # newest-first contact list.
        cursor.execute("SELECT MIN(id) FROM clients_contact")
        bottom_contact = cursor.fetchone()[0] or 0
        span = top_contact - bottom_contact
        deep = [
            rng.randint(bottom_contact + span // 2, top_contact - span // 10) for _ in range(count)
        ]
    return {
        "deep": deep,
        "history": history,
        "hot": hot,
        "phones": phones,
        "fragments": fragments,
        "owners": owners,
        "cards": [rng.randint(1, top_company) for _ in range(count)],
    }


def time_sweep() -> dict[str, Any]:
    """One reminder sweep covering the last day (as after a day's downtime), timed in this
    process; mail goes to memory, so the figure is the sweep's own work. Target: under 5 s over
    500,000 tasks."""
    from django.conf import settings
    from django.utils import timezone

    from kartoteka.activities import reminders
    from kartoteka.activities.models import Task
    from kartoteka.core.notification_models import JobMark

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    JobMark.objects.update_or_create(
        name=reminders.SWEEP, defaults={"moment": now - timedelta(days=1)}
    )
    due = Task.objects.filter(
        done_at__isnull=True, remind_at__gt=now - timedelta(days=1), remind_at__lte=now
    ).count()
    started = time.perf_counter()
    swept = reminders.sweep()
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "tasks": Task.objects.count(),
        "reminders_due_in_the_day": due,
        "result": str(swept),
    }


def raw_phone_lookup(phones: list[str]) -> list[float]:
    """The caller-ID lookup as one SQL query, without Django's request/response stack."""
    from django.db import connection

    sql = (
        "SELECT c.id, c.last_name, c.first_name FROM clients_contact c "
        "WHERE c.deleted_at IS NULL AND c.id IN (SELECT p.contact_id FROM clients_contactphone p "
        "WHERE p.number = %s) ORDER BY c.id DESC LIMIT 51"
    )
    timings = []
    with connection.cursor() as cursor:
        for number in phones[:20]:
            cursor.execute(sql, [number])
            cursor.fetchall()
        for number in phones:
            started = time.perf_counter()
            cursor.execute(sql, [number])
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return timings


#: reads each file named on the command line to its end (the OS then keeps it cached)
_READ_FILES = """
import sys
for name in sys.argv[1:]:
    with open(name, "rb") as data:
        while data.read(16 * 1024 * 1024):
            pass
"""


def warm_cache() -> float:
    """Read the whole database once so the runs measure a warm cache, not the disk: SQLite's
    file into the OS cache, PostgreSQL's tables and indexes with pg_prewarm. Returns seconds."""
    from django.conf import settings
    from django.db import connection

    started = time.perf_counter()
    if connection.vendor == "sqlite":
        files = [
            str(path)
            for suffix in ("", "-wal")
            if (path := Path(str(settings.DATABASES["default"]["NAME"]) + suffix)).exists()
        ]
        # Read by another process: closing a file this process opened drops every lock it holds
        # on that file, SQLite's included, and its connection (open since the inputs were
        # sampled) then read pages the server's checkpoints had moved ("database disk image is
        # malformed" in the raw lookup at the end of a run).
        subprocess.run(
            [sys.executable, "-c", _READ_FILES, *files], check=True, stdout=subprocess.DEVNULL
        )
    else:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            cursor.execute(
                "SELECT pg_prewarm(c.oid::regclass, 'read') FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
            )
    return round(time.perf_counter() - started, 1)


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        result = {}
        for table in (
            "clients_contact",
            "clients_company",
            "clients_contactphone",
            "activities_activity",
            "activities_task",
            "activities_calendarevent",
        ):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 - fixed table names
            result[table] = cursor.fetchone()[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="admin")
    parser.add_argument(
        "--password", default="", help="default: $KARTOTEKA_DATA_DIR/demo-password.txt"
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default="")
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="also time one reminder sweep over the last day, in this process (writes reminders)",
    )
    args = parser.parse_args()

    inputs = sample_inputs(args.requests + args.warmup, args.seed, args.username)  # sets Django up
    from django.conf import settings

    # The data directory as the settings read it (KARTOTEKA_DATA_DIR), where `demo` wrote it.
    password = args.password or (settings.DATA_DIR / "demo-password.txt").read_text().strip()
    vendor_counts = counts()
    print(f"cache warmed in {warm_cache()} s", flush=True)
    from django.db import connection

    token = (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "kartoteka.cli",
                "token",
                "create",
                args.username,
                "--name",
                "bench",
                "--days",
                "1",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    api = Browser(args.url)
    api.headers["Authorization"] = f"Bearer {token}"
    pages = Browser(args.url)
    pages.log_in(args.username, password)
    # What the card's htmx asks for once the page is shown (its tabs' fragments).
    fragments = Browser(args.url)
    fragments.log_in(args.username, password)
    fragments.headers["HX-Request"] = "true"
    rng = random.Random(args.seed)

    def phone_path(i: int) -> str:
        number = inputs["phones"][i % len(inputs["phones"])]
        # As telephony sends it: national format with the trunk 8.
        return "/api/v1/contacts/?" + urllib.parse.urlencode({"phone": "8" + number[2:]})

    def search_path(i: int) -> str:
        return "/api/v1/search/?" + urllib.parse.urlencode(
            {"q": inputs["fragments"][i % len(inputs["fragments"])]}
        )

    def list_path(i: int) -> str:
        owner = rng.choice(inputs["owners"])
        return f"/companies/?status=client&owner={owner}&sort=name"

    def card_path(i: int) -> str:
        return f"/companies/{inputs['cards'][i % len(inputs['cards'])]}/"

    def history_path(i: int) -> str:
        return f"/api/v1/activities/?company={inputs['history'][i % len(inputs['history'])]}"

    def hot_path(i: int) -> str:
        return f"/api/v1/activities/?company={inputs['hot'][0]}"

    def hot_card_path(i: int) -> str:
        return f"/companies/{inputs['hot'][0]}/"

    def hot_timeline_path(i: int) -> str:
        # The tab's first page: as the card's htmx asks for it (a fragment), and as a page of
        # its own (the link a browser without JavaScript follows).
        return f"/companies/{inputs['hot'][0]}/timeline/"

    def deep_list_path(i: int) -> str:
        # A cursor as the API's `next` link carries it: URL-safe base64 of the order, the
        # direction and the last row's sort values (core/rest/pagination.py).
        position = inputs["deep"][i % len(inputs["deep"])]
        token = json.dumps({"o": "-pk", "r": False, "v": [position]}, separators=(",", ":"))
        cursor = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
        return "/api/v1/contacts/?" + urllib.parse.urlencode({"limit": 50, "cursor": cursor})

    def new_contact(i: int) -> str:
        return json.dumps(
            {
                "last_name": f"Бенчмарков{i}",
                "first_name": "Иван",
                "phones": [{"number": f"+7999{i % 10_000_000:07d}", "kind": "mobile"}],
                "emails": [{"address": f"bench{i}@example.ru", "kind": "work"}],
            }
        )

    def log_call(i: int) -> str:
        # A call as telephony or the card's form logs it: who, when, how long, what came of it.
        return json.dumps(
            {
                "type": "call",
                "company": inputs["history"][i % len(inputs["history"])],
                "subject": "Входящий звонок",
                "direction": "in",
                "duration": 60 + i % 300,
                "outcome": "reached",
                "body": "Спрашивал про сроки поставки",
            }
        )

    json_body = {"Content-Type": "application/json"}
    # name -> (client, method, path for request i, body for request i or None)
    scenarios: dict[str, tuple[Browser, str, Any, Any]] = {
        # The floor first: every figure is also given as a ratio to it (same run, same machine).
        FLOOR: (api, "GET", lambda i: "/health/", None),
        "me_api": (api, "GET", lambda i: "/api/v1/users/me/", None),
        "phone_lookup_api": (api, "GET", phone_path, None),
        "contacts_list_api": (api, "GET", lambda i: "/api/v1/contacts/?limit=50", None),
        "contacts_list_deep_api": (api, "GET", deep_list_path, None),
        "contacts_list_name_sort_page": (pages, "GET", lambda i: "/contacts/?sort=name", None),
        "create_contact_api": (api, "POST", lambda i: "/api/v1/contacts/", new_contact),
        "search_api": (api, "GET", search_path, None),
        "client_list_page": (pages, "GET", list_path, None),
        "client_card_page": (pages, "GET", card_path, None),
    }
    if inputs["history"]:
        scenarios["client_activities_api"] = (api, "GET", history_path, None)
        scenarios["long_history_activities_api"] = (api, "GET", hot_path, None)
        scenarios["log_call_api"] = (api, "POST", lambda i: "/api/v1/activities/", log_call)
        # Issue 10's speed targets: the long-history card with its first timeline page
        # (p95 < 50 ms for both), and "My day" (p95 < 100 ms).
        scenarios["long_history_card_page"] = (pages, "GET", hot_card_path, None)
        scenarios["long_history_timeline_page"] = (fragments, "GET", hot_timeline_path, None)
        scenarios["long_history_timeline_full_page"] = (pages, "GET", hot_timeline_path, None)
        scenarios["my_day_page"] = (pages, "GET", lambda i: "/", None)
        # The task list: up to 100 of one's open tasks, overdue first.
        scenarios["task_list_page"] = (pages, "GET", lambda i: "/tasks/", None)
    # The floor always runs: the ratios need it.
    only = {*args.only.split(","), FLOOR} if args.only else set(scenarios)
    results: dict[str, Any] = {}
    for name in scenarios:
        if name not in only:
            continue
        statuses: dict[int, int] = {}

        def send(i: int, scenario: tuple[Browser, str, Any, Any]) -> tuple[int, bytes, float]:
            client, method, path_for, body_for = scenario
            body = body_for(i) if body_for else None
            return client.request(method, path_for(i), body, json_body if body else None)

        client, method, path_for, _body_for = scenarios[name]
        created: list[str] = []
        timings = []
        for i in range(args.warmup + args.requests):
            status, body, elapsed = send(i, scenarios[name])
            if method == "POST" and status == 201:
                created.append(f"{path_for(i)}{json.loads(body)['id']}/")
            if i < args.warmup:
                continue
            statuses[status] = statuses.get(status, 0) + 1
            if status in (200, 201):
                timings.append(elapsed)
        # What a write created goes to the trash, untimed: the contacts one run made stood
        # first in every newest-first list of the runs after it, and in each search's first rows.
        for path in created:
            client.request("DELETE", path)
        results[name] = {**(summary(timings) if timings else {}), "statuses": statuses}
        results[name].update(against_floor(results[name], results.get(FLOOR)))
        print(name, results[name], flush=True)
    sweep = time_sweep() if args.sweep else None
    raw = summary(raw_phone_lookup(inputs["phones"][: args.requests]))
    ratio = (
        round(results["phone_lookup_api"]["median_ms"] / raw["median_ms"], 1)
        if raw["median_ms"] and "phone_lookup_api" in results
        else None
    )
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "rows": vendor_counts,
        "machine": {
            # Other work on the machine while measuring (1, 5, 15 min): above the number of
            # CPUs, the timings include waiting for one.
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "server": args.url,
        "floor": FLOOR,
        "scenarios": results,
        "raw_sql_phone_lookup": raw,
        "reminder_sweep": sweep,
        "http_to_sql_ratio_median": ratio,
    }
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    print(table(results))
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
