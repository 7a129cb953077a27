"""The OpenAPI document says what the API does, not only what its serializers declare.

drf-spectacular builds the document from serializers and views; this postprocessing hook
(``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) adds what it cannot see there:

- the error answers each operation gives, all in one format (the ``Error`` schema);
- ``version`` required on every update (PUT and PATCH refuse a change without it: 400);
- fields declared write-only that the API returns all the same (a record's tags, a contact's
  companies, employments and related persons);
- record ids in paths as the integers they are, and JSON as the one request body the API reads.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from kartoteka.core.ids import MAX_ID

#: write-only in the serializer (their input shape differs or they are written specially), yet
#: every answer carries them, in the same shape
RETURNED_WRITE_ONLY: dict[str, tuple[str, ...]] = {
    "Company": ("tags",),
    "Contact": ("tags", "companies", "employments", "related_persons"),
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "invalid, not_found, forbidden, conflict, not_authenticated, "
                    "too_many_attempts, already_undone, parse_error…",
                },
                "message": {"type": "string", "description": "For people, in their language."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "What was wrong with which input: "
                    '{"inn": ["…"], "custom_fields.discount": ["…"]}.',
                },
                "current_version": {
                    "type": "integer",
                    "description": "409 conflict: the record's version now.",
                },
                "changes": {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": True},
                    "description": "409 conflict: what others changed since your version.",
                },
            },
        }
    },
}

DESCRIPTIONS = {
    400: "The request is not valid: `fields` names each bad input (bad JSON, a value out of "
    "range, a crafted cursor, an unknown `ordering` column, a missing `version` on update…).",
    401: "No valid token (send `Authorization: Bearer <token>`).",
    403: "Your role does not allow this.",
    404: "No such record, or one outside your scope: the two are indistinguishable.",
    409: "Someone changed the record since the version you sent (`current_version`, `changes`), "
    "or the batch is already undone.",
    429: "Too many wrong current passwords: try again later.",
}

_ID_PARAMETER = re.compile(r"\{(id|pk)\}")
#: reads that answer 403 to a role without the grant (other reads are scoped: 404 or fewer rows)
_GUARDED_READS = ("/audit/", "/duplicates/", "/export/")


def error_statuses(method: str, path: str, *, versioned: bool = False) -> list[int]:
    """The error statuses an operation answers besides 500 (``versioned``: an update that
    refuses a stale ``version``)."""
    statuses = [400, 401]
    if method != "get" or any(part in path for part in _GUARDED_READS):
        statuses.append(403)
    if _ID_PARAMETER.search(path):
        statuses.append(404)
    if versioned or path.endswith(("/merge/", "/undo/")):
        statuses.append(409)
    if method in ("put", "patch") and path.startswith("/api/v1/users/"):
        statuses.append(429)
    return statuses


def _component(ref_holder: dict[str, Any]) -> str | None:
    ref = ref_holder.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: Any) -> Any:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for name, fields in RETURNED_WRITE_ONLY.items():
        properties = schemas.get(name, {}).get("properties", {})
        for field in fields:
            if field in properties:
                properties[field].pop("writeOnly", None)
                properties[field]["description"] = (
                    properties[field].get("description", "") + " Returned as written."
                ).strip()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            _integer_ids(operation)
            _json_only(operation)
            versioned = method in ("put", "patch") and _version_required(schemas, operation, method)
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, path, versioned=versioned):
                responses.setdefault(
                    str(status),
                    {
                        "description": DESCRIPTIONS[status],
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result


def _integer_ids(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("name") in ("id", "pk"):
            parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _json_only(operation: dict[str, Any]) -> None:
    # Forms are parsed too (a browser session may post them), but programs send JSON.
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        for media_type in list(content):
            if media_type != "application/json":
                del content[media_type]


def _version_required(schemas: dict[str, Any], operation: dict[str, Any], method: str) -> bool:
    """An update refuses a change without ``version`` (400): say so in its request schema.
    True if the operation's record is versioned."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return False
    name = _component(content["schema"])
    if name is None or "version" not in schemas.get(name, {}).get("properties", {}):
        return False
    if method == "put":
        # The PUT body shares its component with POST (where version is not asked) and with
        # the answer: it gets a copy of its own.
        update = f"{name}Update"
        if update not in schemas:
            schemas[update] = copy.deepcopy(schemas[name])
        name = update
        content["schema"] = {"$ref": f"#/components/schemas/{name}"}
    required = schemas[name].setdefault("required", [])
    if "version" not in required:
        required.append("version")
    return True
