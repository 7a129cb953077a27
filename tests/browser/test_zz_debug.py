from django.db import connection
from tests.browser.pages import BROWSER_TEST
from kartoteka.accounts.models import Role, RoleGrant
pytestmark = BROWSER_TEST

def test_a():
    s = getattr(connection, "_test_serialized_contents", None)
    print("A roles", Role.objects.count(), s is None, s and len(s), s and s.count("accounts.role"))
