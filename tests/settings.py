"""The tests' settings: Kartoteka's, plus a record kind that exists only in the tests."""

from kartoteka.settings import *  # noqa: F403
from kartoteka.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.kindtest"]
ROOT_URLCONF = "tests.kindtest.urls"

# Under pytest-xdist each worker is its own process: an in-memory SQLite database per worker.
# pytest-django only recognises Django's own SQLite engine, so say it outright for ours.
if DATABASES["default"]["ENGINE"] == "kartoteka.core.db.sqlite":  # noqa: F405
    DATABASES["default"].setdefault("TEST", {})["NAME"] = ":memory:"  # noqa: F405
else:
    # A plan gone wrong (a new index once turned the search's candidate query from milliseconds
    # into minutes on the tests' small tables) fails its test within a minute, naming the
    # statement, instead of hanging until the test's own timeout.
    DATABASES["default"]["OPTIONS"]["options"] += " -c statement_timeout=60000"  # noqa: F405
    # The tests' commits need not survive a crash of the machine: not waiting for the disk spares
    # every transactional test and migration its flushes.
    DATABASES["default"]["OPTIONS"]["options"] += " -c synchronous_commit=off"  # noqa: F405
