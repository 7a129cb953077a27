"""Paths under ``/api/`` that name nothing answer the API's JSON 404, and methods an endpoint does
not take its JSON 405, whether DEBUG is on or off; pages outside the API keep the HTML 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.api.test_robustness import error_of
from tests.conftest import Personas


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/no-such-thing/", "/api/nothing", "/api/v2/contacts/", "/api/", "/api", "/api/v1/"],
)
def test_a_path_under_the_api_that_names_nothing_is_a_json_404(
    path: str, debug: bool, personas: Personas, api: Any, settings: Any
) -> None:
    settings.DEBUG = debug
    for method in ("get", "post", "delete"):
        error = error_of(getattr(api(personas.admin), method)(path), 404)
        assert error["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True])
def test_a_page_that_does_not_exist_is_still_the_html_404(
    debug: bool, personas: Personas, client: Client, settings: Any
) -> None:
    settings.DEBUG = debug
    client.force_login(personas.admin)
    for path in ("/no-such-page/", "/apiary/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    ("method", "path"),
    [("put", "/api/v1/contacts/"), ("delete", "/api/v1/tasks/"), ("post", "/api/v1/users/me/")],
)
def test_a_method_an_endpoint_does_not_take_is_a_json_405(
    method: str, path: str, debug: bool, personas: Personas, api: Any, settings: Any
) -> None:
    settings.DEBUG = debug
    error = error_of(getattr(api(personas.admin), method)(path, {}, format="json"), 405)
    assert error["code"] == "method_not_allowed"
