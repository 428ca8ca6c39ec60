"""The OpenAPI 3.1 description of ``/api/v1``, kept true by tests that check real answers."""

from __future__ import annotations

from functools import cache

from portal.web import openapi_record as record

DATE = {"type": ["string", "null"], "format": "date-time"}
LANG = {"type": "string", "pattern": "^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$"}
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$"}
COUNT = {"type": "integer", "minimum": 0}
CURSOR = {"type": "string", "maxLength": 40, "pattern": "^[A-Za-z0-9_-]+$",
          "description": "Opaque: where the next page of this statement's list starts. It holds no "
                         "id and no name, and it is valid for this statement only (authenticated "
                         "with a server key); any other cursor is a 400. Today 22 characters."}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _ok(name: str, description: str) -> dict:
    ok = _json(name, description)
    ok["headers"] = {"ETag": {"schema": {"type": "string"}},
                     "Cache-Control": {"schema": {"type": "string"}}}
    return ok


ERRORS = {
    "304": {"description": "Not modified: the copy whose ETag was sent is current."},
    "400": _json("Error", "A query parameter is invalid."),
    "404": _json("Error", "No public statement has this slug."),
    "429": _json("Error", "Too many requests."),
}

SLUG = {"name": "slug", "in": "path", "required": True,
        "schema": {"type": "string", "maxLength": 80}, "example": "free-the-reporters"}

SCHEMAS: dict = {
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["code", "message"], "additionalProperties": False,
            "properties": {"code": {"type": "string", "examples": ["not_found"]},
                           "message": {"type": "string"}}}},
    },
    "Counts": {
        "type": "object", "required": ["total", "organisations", "individuals", "countries"],
        "additionalProperties": False,
        "properties": {"total": COUNT, "organisations": COUNT, "individuals": COUNT,
                       "countries": COUNT | {"description": "Countries with a listed signatory."},
                       "by_country": {"type": "object", "propertyNames": COUNTRY,
                                      "additionalProperties": {"type": "integer", "minimum": 1},
                                      "description": "Listed signatories per country (shown in full or "
                                                     "by country). Those counted but not listed are "
                                                     "in total only, never in a country's figure "
                                                     "nor in countries."}},
    },
    "Links": {
        "type": "object", "required": ["self", "signatories", "html"], "additionalProperties": False,
        "properties": {k: {"type": "string", "format": "uri"} for k in ("self", "signatories", "html")},
    },
    "StatementSummary": {
        "type": "object", "additionalProperties": False,
        "required": ["slug", "state", "original_lang", "title", "summary", "languages", "published_at",
                     "closed_at", "deadline_at", "signing_open", "counts", "links"],
        "properties": {
            "slug": {"type": "string"},
            "state": {"enum": ["published", "closed", "archived"]},
            "original_lang": LANG, "title": {"type": "string"}, "summary": {"type": "string"},
            "languages": {"type": "array", "items": LANG, "minItems": 1},
            "published_at": DATE, "closed_at": DATE,
            "deadline_at": DATE | {"description": "When signing closes by itself, if ever."},
            "signing_open": {"type": "boolean"},
            "counts": _ref("Counts"), "links": _ref("Links"),
        },
    },
    "Translation": {
        "type": "object", "additionalProperties": False,
        "required": ["lang", "title", "summary", "body_markdown", "original", "updated_at", "url"],
        "properties": {"lang": LANG, "title": {"type": "string"}, "summary": {"type": "string"},
                       "body_markdown": {"type": "string"}, "original": {"type": "boolean"},
                       "updated_at": DATE, "url": {"type": "string", "format": "uri"}},
    },
    "SignatoryFull": {
        "type": "object", "additionalProperties": False,
        "required": ["visibility", "kind", "name", "country", "launch"],
        "properties": {"visibility": {"const": "full"}, "kind": {"enum": ["organisation", "individual"]},
                       "name": {"type": "string"}, "country": COUNTRY,
                       "role": {"type": "string", "description": "An individual's role or affiliation."},
                       "launch": {"type": "boolean", "description": "Signed before publication."}},
    },
    "SignatoryCountryOnly": {
        "type": "object", "additionalProperties": False, "required": ["visibility", "kind", "country"],
        "description": "A signatory who chose to be shown only as an organisation or a person in a country.",
        "properties": {"visibility": {"const": "country"},
                       "kind": {"enum": ["organisation", "individual"]}, "country": COUNTRY},
    },
    "SignatoryPage": {
        "type": "object", "additionalProperties": False,
        "required": ["signatories", "next_cursor", "links", "counts"],
        "properties": {
            "signatories": {"type": "array", "items": {"oneOf": [_ref("SignatoryFull"),
                                                                 _ref("SignatoryCountryOnly")]}},
            "next_cursor": {"oneOf": [CURSOR, {"type": "null"}],
                            "description": "Pass it as cursor for the next page; null on the last."},
            "links": {"type": "object", "required": ["next"], "additionalProperties": False,
                      "properties": {"next": {"type": ["string", "null"], "format": "uri"}}},
            "counts": _ref("Counts"),
        },
    },
}
SCHEMAS["StatementList"] = {
    "type": "object", "required": ["statements"], "additionalProperties": False,
    "properties": {"statements": {"type": "array", "items": _ref("StatementSummary")}},
}
_summary = SCHEMAS["StatementSummary"]
SCHEMAS["Statement"] = _summary | {
    "required": [*_summary["required"], "translations", "target_count"],
    "properties": _summary["properties"] | {
        "translations": {"type": "array", "items": _ref("Translation"), "minItems": 1},
        "target_count": {"type": ["integer", "null"]},
        "counts": {"allOf": [_ref("Counts")], "required": ["by_country"]},
    },
}


@cache
def document() -> dict:
    """The document served at ``/api/v1/openapi.json``."""
    get = "get"
    return {
        "openapi": "3.1.0",
        "info": {"title": "Undersigned public API", "version": "1.0.0",
                 "description": "Read-only public data on joint statements and their signatories. "
                                "Contact details are never part of it. Signatories who chose to be "
                                "counted but not listed appear only in the counts."},
        "paths": {
            "/api/v1/statements": {get: {
                "operationId": "listStatements", "summary": "Public statements, newest first",
                "parameters": [{"name": "state", "in": "query", "required": False,
                                "schema": {"enum": ["published", "closed", "archived"],
                                           "default": "published"}}],
                "responses": {"200": _ok("StatementList", "The statements.")} | ERRORS,
            }},
            "/api/v1/statements/{slug}": {get: {
                "operationId": "getStatement", "summary": "One statement, its translations and counts",
                "parameters": [SLUG],
                "responses": {"200": _ok("Statement", "The statement.")} | ERRORS,
            }},
            "/api/v1/statements/{slug}/signatories": {get: {
                "operationId": "listSignatories", "summary": "Listed signatories, in collation order",
                "parameters": [
                    SLUG,
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                    {"name": "cursor", "in": "query", "required": False,
                     "description": "The next_cursor of the previous page of this statement's list "
                                    "(with the same country and q). A cursor is opaque and valid "
                                    "for its own statement only: any other value is a 400.",
                     "schema": CURSOR | {"pattern": "^[A-Za-z0-9_-]*$"}},  # empty: the first page
                    {"name": "country", "in": "query", "required": False, "schema": COUNTRY},
                    {"name": "q", "in": "query", "required": False,
                     "description": "Search in the names of fully shown signatories.",
                     "schema": {"type": "string", "maxLength": 100,
                                "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}},
                ],
                "responses": {"200": _ok("SignatoryPage", "One page of signatories.")} | ERRORS,
            }},
            **record.PATHS,
            "/api/v1/openapi.json": {get: {
                "operationId": "getOpenApi", "summary": "This document",
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {"schemas": SCHEMAS | record.SCHEMAS},
    }
