"""The record's part of the OpenAPI document: versions, deliveries and updates."""

from __future__ import annotations

DAY = {"type": "string", "format": "date"}
MOMENT = {"type": "string", "format": "date-time"}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
LANG = {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$"}
ERRORS = {
    "304": {"description": "Not modified: the copy whose ETag was sent is current."},
    "404": {"description": "No public statement has this slug.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "429": {"description": "Too many requests.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
}
SLUG = {"name": "slug", "in": "path", "required": True,
        "schema": {"type": "string", "maxLength": 80}, "example": "free-the-reporters"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


URI = {"type": "string", "format": "uri"}


def _obj(required: dict, **optional) -> dict:
    return {"type": "object", "additionalProperties": False, "required": list(required),
            "properties": required | optional}


SCHEMAS = {
    "TextVersion": _obj({
        "lang": LANG, "number": {"type": "integer", "minimum": 1},
        "kind": {"enum": ["first", "editorial", "substantive"],
                 "description": "editorial: a correction; substantive: an amendment, on which "
                                "signatories were asked again."},
        "sha256": SHA256 | {"description": "SHA-256 of the normalised text (NFC, LF line ends, "
                                           "no trailing spaces)."},
        "published_at": MOMENT, "title": {"type": "string"}, "summary": {"type": "string"},
        "body_markdown": {"type": "string"}}),
    "VersionList": _obj({"original_lang": LANG,
                         "versions": {"type": "array", "items": _ref("TextVersion")}}),
    "Delivery": _obj({
        "number": {"type": "integer", "minimum": 1}, "recipient": {"type": "string"}, "delivered_on": DAY,
        "channel": {"type": "string"},
        "count": {"type": "integer", "minimum": 0, "description": "Every counted signatory then."},
        "listed": {"type": "integer", "minimum": 0, "description": "Those in the frozen list."},
        "text_version": {"type": ["integer", "null"]}, "recorded_at": MOMENT,
        "pdf_sha256": SHA256, "list_sha256": SHA256,
        "links": _obj({"html": URI, "pdf": URI})}),
    "DeliveryList": _obj({"deliveries": {"type": "array", "items": _ref("Delivery")}}),
    "Update": _obj({
        "id": {"type": "integer"}, "happened_on": DAY, "published_at": MOMENT,
        "texts": {"type": "array", "minItems": 1, "items": _obj({
            "lang": LANG, "title": {"type": "string"}, "body_markdown": {"type": "string"}})}}),
    "UpdateList": _obj({"updates": {"type": "array", "items": _ref("Update")}}),
}


def _get(operation: str, summary: str, schema: str) -> dict:
    ok = {"description": summary, "headers": {"ETag": {"schema": {"type": "string"}},
                                              "Cache-Control": {"schema": {"type": "string"}}},
          "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}
    return {"get": {"operationId": operation, "summary": summary, "parameters": [SLUG],
                    "responses": {"200": ok} | ERRORS}}


PATHS = {
    "/api/v1/statements/{slug}/versions": _get("listVersions", "Every version of the text", "VersionList"),
    "/api/v1/statements/{slug}/deliveries": _get("listDeliveries", "Deliveries and their snapshots",
                                                 "DeliveryList"),
    "/api/v1/statements/{slug}/updates": _get("listUpdates", "Updates on the outcome", "UpdateList"),
}
