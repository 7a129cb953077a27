"""The ``kartoteka`` command: serve, worker, jobs, migrate, createadmin, demo, token, check,
reindex."""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn


def _setup() -> None:
    # Every KARTOTEKA_* variable is read (and checked) by the settings module, loaded here before
    # any command runs: a malformed value ends the command with one line naming it.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kartoteka.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as error:
        _configuration_error(error)


def _configuration_error(error: Exception) -> NoReturn:
    print(f"kartoteka: configuration error: {error}", file=sys.stderr)
    raise SystemExit(2)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    host = args.host or settings.SERVER_HOST
    port = args.port or settings.SERVER_PORT
    # On the embedded default (no Redis) this process also runs the job queue: reminders and
    # other jobs need no second process. With Redis, `kartoteka worker` nodes run them.
    from huey.contrib.djhuey import HUEY

    consumer = None
    # Jobs run inline (KARTOTEKA_JOBS_IMMEDIATE) cannot have a consumer: periodic ones (the
    # reminder sweep) then need `kartoteka jobs run` from cron.
    if not settings.REDIS_URL and not args.no_worker and not HUEY.immediate:
        from kartoteka.core.jobs import start_embedded_worker

        consumer = start_embedded_worker()
    # uvicorn hands a stop signal back to the process once it has shut down; taken here instead
    # of ending the process, so the job queue finishes its work in hand and serve exits with 0.
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    before = {number: signal.signal(number, lambda *_args: None) for number in stop_signals}
    print(f"Kartoteka is serving at http://{host}:{port}/", flush=True)
    try:
        uvicorn.run(
            "kartoteka.asgi:application",
            host=host,
            port=port,
            workers=args.workers or settings.SERVER_WORKERS,
            proxy_headers=True,
            forwarded_allow_ips=settings.FORWARDED_ALLOW_IPS,
            log_level="warning",
            # Open live streams (the bell) hold a shutdown up to this long, then are cut;
            # browsers reconnect to the next server by themselves.
            timeout_graceful_shutdown=20,
        )
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        for number, handler in before.items():
            signal.signal(number, handler)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("run_huey", workers=args.threads) if args.threads else call_command("run_huey")
    return 0


def cmd_jobs_run(args: argparse.Namespace) -> int:
    from datetime import datetime

    from django.utils import timezone

    from kartoteka.core.jobs import run_periodic

    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            print(f"kartoteka: --at {args.at!r} is not an ISO date and time", file=sys.stderr)
            return 2
        if timezone.is_naive(at):
            at = timezone.make_aware(at)  # in KARTOTEKA_TIME_ZONE, as people write times
    failed = 0
    for outcome in run_periodic(at):
        failed += 0 if outcome.ok else 1
        state = "ok" if outcome.ok else "FAILED"
        print(f"{outcome.name}: {state} ({outcome.result})", flush=True)
    return 1 if failed else 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=args.verbosity)
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    from django.conf import settings

    from kartoteka.accounts.models import Branch, Role
    from kartoteka.accounts.services import user_create
    from kartoteka.core.errors import DomainError

    password = args.password or settings.ADMIN_PASSWORD
    if not password and sys.stdin.isatty():
        password = getpass.getpass("Password for the new administrator: ")
    generated = not password
    if generated:
        password = secrets.token_urlsafe(12)
    branch = Branch.objects.order_by("pk").first() or Branch.objects.create(name=args.branch)
    try:
        user_create(
            actor=None,
            username=args.username,
            password=password,
            branch=branch,
            email=args.email,
            roles=list(Role.objects.filter(code="administrator")),
            is_superuser=True,
            language=args.language,
        )
    except DomainError as error:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())
        print(f"kartoteka: {error.message} {details}", file=sys.stderr)
        return 1
    print(f"Administrator {args.username} created.")
    if generated:
        print(f"Password: {password}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kartoteka.demo import create_demo

    report = create_demo(
        size=args.size,
        seed=args.seed,
        reset_password=args.reset_password,
        log=lambda line: print(line, flush=True),
    )
    for line in report:
        print(line)
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from kartoteka.accounts.models import User
    from kartoteka.accounts.services import token_create

    user = User.objects.filter(username=args.username, is_active=True).first()
    if user is None:
        print(f"kartoteka: no active user named {args.username!r}", file=sys.stderr)
        return 1
    key = token_create(actor=None, user=user, name=args.name, days=args.days)
    print(f"Token for {user.username} (shown once; store it safely):")
    print(key)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from kartoteka.core.jobs import queue_status

    problems = 0
    call_command("check", deploy=args.deploy, fail_level="ERROR")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        print(f"database: ok ({connection.vendor})")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            problems += 1
            print(f"database: {len(pending)} migration(s) not applied: run `kartoteka migrate`")
    except Exception as error:  # noqa: BLE001 - reported, then the exit status says it
        problems += 1
        print(f"database: FAILED ({error})")
    queue = queue_status()
    print(f"job queue: {'ok' if queue['ok'] else 'FAILED'} ({queue})")
    problems += 0 if queue["ok"] else 1
    if args.mail_to:
        problems += 0 if _send_test_mail(args.mail_to) else 1
    return 1 if problems else 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from kartoteka.core import jobs
    from kartoteka.core.search import background

    job = background.rebuild_start(actor=None, queue=args.background)
    if args.background:
        print(f"search index: rebuild queued as job {job.pk}; `kartoteka worker` runs it")
        return 0
    # Run here rather than by a worker: the same job, recorded the same way.
    done = jobs.run(job.pk, background.rebuild_work)
    if done is None or done.state != done.State.DONE:
        print(f"search index: FAILED ({done.error if done else 'the job was not found'})")
        return 1
    print(f"search index: {done.message}")
    return 0


def _send_test_mail(address: str) -> bool:
    from django.conf import settings
    from django.core.mail import send_mail

    try:
        send_mail(
            "Kartoteka: test message",
            "If you can read this, Kartoteka's mail settings work.",
            settings.DEFAULT_FROM_EMAIL,
            [address],
        )
    except OSError as error:
        print(f"mail: FAILED via {settings.EMAIL_HOST}:{settings.EMAIL_PORT} ({error})")
        return False
    print(
        f"mail: ok, test message sent to {address} via {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    )
    return True


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kartoteka", description="Kartoteka CRM")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server (ASGI)")
    serve.add_argument("--host", default="")
    serve.add_argument("--port", type=int, default=0, help="default: KARTOTEKA_PORT or 8000")
    serve.add_argument("--workers", type=int, default=0, help="default: KARTOTEKA_WEB_WORKERS or 1")
    serve.set_defaults(handler=cmd_serve)

    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run the embedded job queue here (another process runs `kartoteka worker`)",
    )

    worker = sub.add_parser("worker", help="run background jobs")
    worker.add_argument("--threads", type=int, default=0)
    worker.set_defaults(handler=cmd_worker)

    jobs = sub.add_parser("jobs", help="periodic jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    jobs_run = jobs_sub.add_parser(
        "run", help="run every periodic job once (reminders included), here and now"
    )
    jobs_run.add_argument(
        "--at",
        default="",
        help="the moment the jobs take as now, e.g. 2026-12-01T09:00 (local time) or with +03:00",
    )
    jobs_run.set_defaults(handler=cmd_jobs_run)

    migrate = sub.add_parser("migrate", help="create or update the database tables")
    migrate.add_argument("--verbosity", type=int, default=1)
    migrate.set_defaults(handler=cmd_migrate)

    admin = sub.add_parser("createadmin", help="create an administrator")
    admin.add_argument("username")
    admin.add_argument("--email", default="")
    admin.add_argument(
        "--password", default="", help="default: KARTOTEKA_ADMIN_PASSWORD, a prompt, or generated"
    )
    admin.add_argument("--branch", default="Head office")
    admin.add_argument("--language", default="ru", choices=["ru", "en"])
    admin.set_defaults(handler=cmd_createadmin)

    demo = sub.add_parser("demo", help="fill the database with a demo company")
    demo.add_argument("--size", default="small", help="small, medium, or a number of contacts")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument(
        "--reset-password", action="store_true", help="give the demo users a new password"
    )
    demo.set_defaults(handler=cmd_demo)

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    token_new = token_sub.add_parser(
        "create", help="create a token; it is printed as the last line"
    )
    token_new.add_argument("username")
    token_new.add_argument("--name", default="command line")
    token_new.add_argument("--days", type=int, default=None)
    token_new.set_defaults(handler=cmd_token)

    check = sub.add_parser("check", help="check configuration, database and job queue")
    check.add_argument("--deploy", action="store_true", help="also the production security checks")
    check.add_argument("--mail-to", default="", help="send a test message to this address")
    check.set_defaults(handler=cmd_check)

    reindex = sub.add_parser("reindex", help="rebuild the search index")
    reindex.add_argument(
        "--background", action="store_true", help="queue it for `kartoteka worker` instead"
    )
    reindex.set_defaults(handler=cmd_reindex)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup()
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import CommandError

    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except ImproperlyConfigured as error:  # a setting read lazily, after start-up
        _configuration_error(error)
    except CommandError as error:  # Django's system checks and commands say what is wrong
        print(f"kartoteka: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
