"""Time the contact list's search over many real name fragments: no term may fall off a cliff.

The list search (``GET /api/v1/contacts/?limit=50&q=…``) must be fast for every term, not only
on average: a query plan that suits most terms can be a hundred times slower for a few (issue
11: "Paul Mit" took half a second on PostgreSQL while other terms took 20 ms). This script
draws terms from the data itself — prefixes of first and last names (2–5 letters), a first name
with the start of the same person's last name ("Павел Мит"), and two short prefixes taken from
different people ("Ли Ва"), which match few contacts or none — and times each one over HTTP.

    KARTOTEKA_DATA_DIR=... [KARTOTEKA_DATABASE_URL=...] .venv/bin/python bench/terms.py \
        --url http://127.0.0.1:8000 --terms 200 --repeat 5 \
        --out bench/results/sqlite-terms-100k.json

``--print`` lists the terms and exits. The report holds the median and p95 over all timed
requests, each term's median and p95, and the worst term (by p95).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import Browser, counts, summary, warm_cache  # noqa: E402 - bench/ is not a package

#: target for every term, as issue 11 sets it
TARGET_P95_MS = 50.0


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    django.setup()


def _prefix(rng: random.Random, word: str, low: int, high: int) -> str:
    return word[: rng.randint(low, min(high, len(word)))]


def generate(count: int, seed: int) -> list[str]:
    """``count`` distinct search terms made of real names of the database's contacts."""
    _setup()
    from django.db import connection

    rng = random.Random(seed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT MAX(id) FROM clients_contact")
        top = cursor.fetchone()[0] or 0
        ids = [rng.randint(1, top) for _ in range(count * 3)]
        cursor.execute(
            "SELECT first_name, last_name FROM clients_contact "  # noqa: S608 - placeholders only
            f"WHERE id IN ({','.join(['%s'] * len(ids))}) AND first_name <> '' AND last_name <> ''",
            ids,
        )
        people = cursor.fetchall()
    rng.shuffle(people)
    terms: list[str] = []
    for i, (first, last) in enumerate(people):
        other_first, other_last = people[(i * 7 + 3) % len(people)]
        shape = i % 4
        if shape == 0:
            term = _prefix(rng, last, 2, 5)
        elif shape == 1:
            term = _prefix(rng, first, 2, 5)
        elif shape == 2:
            # "Paul Mit": a first name and the start of the same person's last name
            term = f"{first} {_prefix(rng, last, 2, 4)}"
        else:
            # "Wei Li": two short starts from different people, which few contacts share
            term = f"{_prefix(rng, other_first, 2, 4)} {_prefix(rng, last, 2, 3)}"
        if term not in terms:
            terms.append(term)
        if len(terms) == count:
            break
    return terms


def _token(username: str) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "kartoteka.cli", "token", "create", username]
        + ["--name", "bench-terms", "--days", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    return created.stdout.strip().splitlines()[-1]


def measure(url: str, username: str, terms: list[str], repeat: int) -> dict[str, Any]:
    """Each term ``repeat`` times after one warm-up request, over one keep-alive connection."""
    api = Browser(url)
    api.headers["Authorization"] = f"Bearer {_token(username)}"
    per_term: dict[str, list[float]] = {}
    rows: dict[str, int] = {}
    for term in terms:
        path = "/api/v1/contacts/?" + urllib.parse.urlencode({"limit": 50, "q": term})
        status, body, _ = api.request("GET", path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        rows[term] = len(json.loads(body)["results"])
    for _round in range(repeat):  # rounds, not one term at a time: a busy moment hits all terms
        for term in terms:
            path = "/api/v1/contacts/?" + urllib.parse.urlencode({"limit": 50, "q": term})
            _status, _body, elapsed = api.request("GET", path)
            per_term.setdefault(term, []).append(elapsed)
    every = [seconds for timings in per_term.values() for seconds in timings]
    terms_report = {
        term: {**summary(timings), "rows": rows[term]} for term, timings in per_term.items()
    }
    worst = max(terms_report, key=lambda term: terms_report[term]["p95_ms"])
    over = sorted(
        (term for term, report in terms_report.items() if report["p95_ms"] > TARGET_P95_MS),
        key=lambda term: -terms_report[term]["p95_ms"],
    )
    return {
        "all_requests": summary(every),
        "term_medians_ms": {
            "median": round(statistics.median(r["median_ms"] for r in terms_report.values()), 2),
            "max": max(r["median_ms"] for r in terms_report.values()),
        },
        "worst_term": {"term": worst, **terms_report[worst]},
        "target_p95_ms": TARGET_P95_MS,
        "terms_over_target": over,
        "terms": terms_report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--terms", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--label", default="", help="a note saved in the report (e.g. 'before')")
    parser.add_argument("--print", action="store_true", help="only print the terms")
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    terms = generate(args.terms, args.seed)
    if args.print:
        print("\n".join(terms))
        return
    from django.db import connection

    rows = counts()
    print(f"cache warmed in {warm_cache()} s", flush=True)
    result = measure(args.url, args.username, terms, args.repeat)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "label": args.label,
        "database": connection.vendor,
        "rows": rows,
        "machine": {
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "server": args.url,
        "request": "GET /api/v1/contacts/?limit=50&q=<term>",
        "repeat": args.repeat,
        **result,
    }
    text = json.dumps(report, ensure_ascii=False, indent=2)
    summary_keys = ("all_requests", "term_medians_ms", "worst_term", "terms_over_target")
    print(json.dumps({k: report[k] for k in summary_keys}, ensure_ascii=False, indent=2))
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
