"""Form posts as a browser sends them, lists (phones, emails...) included."""

from __future__ import annotations

from typing import Any


def formset(prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def company_post(
    phones: list[str] | None = None, emails: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    return {
        "status": "prospect",
        **fields,
        **formset("phones", [{"number": number, "kind": "work"} for number in phones or []]),
        **formset("emails", [{"address": address, "kind": "work"} for address in emails or []]),
    }


def contact_post(
    phones: list[str] | None = None,
    emails: list[str] | None = None,
    companies: list[tuple[int, str]] | None = None,
    related: list[dict[str, Any]] | None = None,
    messengers: list[tuple[str, str]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    return {
        **fields,
        **formset("phones", [{"number": number, "kind": "mobile"} for number in phones or []]),
        **formset("emails", [{"address": address, "kind": "work"} for address in emails or []]),
        **formset("employments", [{"company": pk, "position": pos} for pk, pos in companies or []]),
        **formset("related_persons", related or []),
        **formset("messengers", [{"kind": k, "handle": h} for k, h in messengers or []]),
    }


def api_contact(number: int, last_name: str = "Номеров") -> dict[str, Any]:
    """A new person as an API client sends one, with a phone and an email of their own."""
    return {
        "last_name": f"{last_name}{number}",
        "first_name": "Иван",
        "phones": [{"number": f"+7999000{number:04d}", "kind": "mobile"}],
        "emails": [{"address": f"person{number}@example.ru", "kind": "work"}],
    }
