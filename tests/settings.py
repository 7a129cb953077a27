"""The tests' settings: Kartoteka's, plus a record kind that exists only in the tests."""

from kartoteka.settings import *  # noqa: F403
from kartoteka.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.kindtest"]
ROOT_URLCONF = "tests.kindtest.urls"
