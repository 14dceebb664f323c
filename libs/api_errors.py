"""One error format for every HTTP API: a human sentence plus the fields at fault.

```json
{"detail": "1 field is invalid: email.",
 "errors": [{"field": "email", "message": "value is not a valid email address",
             "type": "value_error"}]}
```

:func:`install_error_handlers` gives FastAPI's validation and HTTP errors that shape, and
:class:`BodySizeLimitMiddleware` refuses oversized bodies before any parsing happens.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 64 * 1024
REQUEST_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


class FieldError(BaseModel):
    field: str = Field(
        description="Dotted path of the field at fault, or 'body' for the whole body"
    )
    message: str = Field(description="What is wrong with it")
    type: str = Field(description="Machine-readable error type")


class ErrorResponse(BaseModel):
    """Body of every 4xx answer."""

    detail: str = Field(description="Human-readable summary")
    errors: list[FieldError] = Field(default_factory=list, description="Each field at fault")


class ApiError(Exception):
    """Raised by handlers for a 4xx that names its fields (e.g. a 409 on a header)."""

    def __init__(
        self,
        status_code: int,
        detail: str,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return error_response(self.status_code, self.detail, self.errors, self.headers)


def error_response(
    status_code: int,
    detail: str,
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(detail=detail, errors=list(errors))
    return JSONResponse(body.model_dump(mode="json"), status_code=status_code, headers=headers)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Malformed JSON body"},
    413: {"model": ErrorResponse, "description": "Body larger than allowed"},
    415: {"model": ErrorResponse, "description": "Body is not JSON"},
    422: {"model": ErrorResponse, "description": "Invalid or missing fields"},
}
"""For a route's ``responses=``, so the OpenAPI document shows the error format."""


def field_path(location: Sequence[int | str]) -> str:
    """``("body", "links", 0)`` → ``"links.0"``; a bare location names itself (``"body"``)."""
    parts = list(location)
    if len(parts) > 1 and parts[0] in REQUEST_LOCATIONS:
        parts = parts[1:]
    return ".".join(str(part) for part in parts) or "body"


def _summary(errors: Sequence[FieldError]) -> str:
    fields = list(dict.fromkeys(error.field for error in errors))
    noun = "field is" if len(fields) == 1 else "fields are"
    return f"{len(fields)} {noun} invalid: {', '.join(fields)}."


def validation_errors(raw_errors: Sequence[Any]) -> tuple[int, str, list[FieldError]]:
    """Status, summary and field errors for a :class:`RequestValidationError`'s errors."""
    malformed = [error for error in raw_errors if error.get("type") == "json_invalid"]
    if malformed:
        error = malformed[0]
        position = error.get("loc", ("body",))[-1]
        reason = error.get("ctx", {}).get("error", "invalid JSON")
        message = f"Malformed JSON: {reason} (at character {position})."
        return (
            400,
            "The request body is not valid JSON.",
            [FieldError(field="body", message=message, type="json_invalid")],
        )
    errors = [
        FieldError(
            field=field_path(error.get("loc", ())),
            message=str(error.get("msg", "Invalid value")),
            type=str(error.get("type", "value_error")),
        )
        for error in raw_errors
    ]
    return 422, _summary(errors), errors


async def _on_validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    status_code, detail, errors = validation_errors(exc.errors())
    return error_response(status_code, detail, errors)


async def _on_api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _on_http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 200 or exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
    errors: list[FieldError] = []
    if exc.status_code == 400:
        # The framework raises a bare 400 only when it cannot read the body (e.g. not UTF-8).
        errors = [FieldError(field="body", message=detail, type="body_invalid")]
    return error_response(exc.status_code, detail, errors, exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Give validation errors (400/422), :class:`ApiError` and HTTP errors the shared format."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)


class BodySizeLimitMiddleware:
    """Answers 413 once a request body exceeds ``max_bytes``, counting the bytes actually received.

    Content-Length is only a shortcut for refusing early: it may be absent (chunked) or lie, so
    the body is read here, up to the limit, and replayed to the application.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its whole body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replaying(b"".join(chunks), receive), send)

    async def _refuse(self, send: Send) -> None:
        message = f"The request body must not exceed {self.max_bytes} bytes."
        body = ErrorResponse(
            detail=message,
            errors=[FieldError(field="body", message=message, type="body_too_large")],
        )
        payload = json.dumps(body.model_dump(mode="json")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _replaying(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
