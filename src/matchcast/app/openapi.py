"""Answers every operation may give that no route declares, and the 422 body.

The rate limiter (429), the body limit (413) and FastAPI's JSON parsing (400) answer in
front of the routes; they are added to the schema here so clients (and the fuzz test)
see every status code the API can send. Validation errors never echo the input.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

ERROR = {"$ref": "#/components/schemas/ErrorDetail"}
_ERROR_SCHEMA = {
    "title": "ErrorDetail",
    "type": "object",
    "properties": {"detail": {"title": "Detail", "type": "string"}},
    "required": ["detail"],
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ERROR}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def document_common_answers(app: FastAPI, max_body_bytes: int) -> None:
    """Add 429 to every operation, and 400 and 413 to those with a request body."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "ErrorDetail", _ERROR_SCHEMA
        )
        too_many = _error(
            "Too many requests from this client (per-client token bucket).",
            {
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            },
        )
        for item in schema.get("paths", {}).values():
            for method in HTTP_METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                responses.setdefault("429", too_many)
                if "requestBody" in operation:
                    responses.setdefault("400", _error("The body is not valid JSON."))
                    responses.setdefault(
                        "413", _error(f"The body is larger than {max_body_bytes} bytes.")
                    )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def validation_error(error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 body without the rejected input (which may be large or sensitive)."""
    errors = [
        {key: value for key, value in item.items() if key not in ("input", "url")}
        for item in error.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
