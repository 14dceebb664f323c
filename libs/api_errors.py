"""One error format for every HTTP API: a human sentence plus the fields at fault.

```json
{"detail": "1 field is invalid: email.",
 "errors": [{"field": "email", "message": "value is not a valid email address",
             "type": "value_error"}]}
```

:func:`install_error_handlers` gives FastAPI's validation and HTTP errors that shape (and a
busy database a 503), :class:`UnexpectedErrorMiddleware` answers anything else with a 500 in
that shape and an error id also in the log, and :class:`BodySizeLimitMiddleware` refuses
oversized bodies before any parsing happens.
"""

import json
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 64 * 1024
REQUEST_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})
DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_BUSY = (
    "Base de données momentanément indisponible, réessayez / "
    "The database is momentarily unavailable: retry."
)
INTERNAL_ERROR = (
    "Erreur interne : citez cette référence pour la signaler / "
    "Internal error. Quote this reference if you report it"
)

logger = logging.getLogger(__name__)


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


class ServerErrorResponse(ErrorResponse):
    """Body of a 500: nothing about the failure but the id under which it was logged."""

    error_id: str = Field(description="Quote it to the operators: it is in the error's log line")


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
    400: {"model": ErrorResponse, "description": "Malformed JSON body, or nested too deeply"},
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


HTTP_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Every method some route of the app takes on this path: the router's own 405 names only
    the methods of the first route matching the path (``GET`` of a path that also takes
    ``POST``)."""
    routes = request.app.router.routes

    def taken(method: str) -> bool:
        # A fresh scope: the request's carries the matching state of the route it reached.
        scope = {
            "type": "http",
            "method": method,
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
        }
        return any(route.matches(scope)[0] == Match.FULL for route in routes)

    return ", ".join(method for method in HTTP_METHODS if taken(method))


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code < 200 or exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
    errors: list[FieldError] = []
    headers = dict(exc.headers or {})
    if exc.status_code == 400:
        # The framework raises a bare 400 only when it cannot read the body (e.g. not UTF-8).
        errors = [FieldError(field="body", message=detail, type="body_invalid")]
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return error_response(exc.status_code, detail, errors, headers)


async def _on_database_busy(_request: Request, _exc: Exception) -> Response:
    # SQLite answers "database is locked" past its busy timeout; PostgreSQL's pool can time out
    # or lose its server: the request may succeed later, it is not the client's fault.
    return error_response(
        503, DATABASE_BUSY, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    )


async def _on_recursion(_request: Request, _exc: Exception) -> Response:
    # JSON nested thousands of levels deep exhausts the parser's (or the validator's) stack.
    message = "The request body is nested too deeply."
    return error_response(
        400, message, [FieldError(field="body", message=message, type="body_too_deep")]
    )


def install_error_handlers(app: FastAPI) -> None:
    """Give validation errors (400/422), :class:`ApiError` and HTTP errors the shared format;
    a body nested too deeply is a 400 and a busy or unreachable database a 503 with
    ``Retry-After``."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(RecursionError, _on_recursion)
    app.add_exception_handler(OperationalError, _on_database_busy)
    app.add_exception_handler(PoolTimeout, _on_database_busy)


def new_error_id() -> str:
    return uuid.uuid4().hex[:12]


class UnexpectedErrorMiddleware:
    """Any exception no handler answered becomes a JSON 500 carrying an error id, logged with
    the same id, the route's template (never its ids) and a traceback without messages (they
    may hold personal data: see :func:`libs.observability.safe_traceback`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            error_id = new_error_id()
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            logger.error(
                "unexpected error %s on %s %s",
                error_id,
                scope.get("method", "?"),
                route,
                exc_info=True,
                extra={"error_id": error_id, "error_type": type(error).__qualname__},
            )
            if started:
                raise  # too late for an answer: the server closes the connection
            body = ServerErrorResponse(detail=f"{INTERNAL_ERROR}: {error_id}.", error_id=error_id)
            response = JSONResponse(body.model_dump(mode="json"), status_code=500)
            await response(scope, receive, send)


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


ERROR_SCHEMA_NAMES = ("FieldError", "ErrorResponse", "ServerErrorResponse")
FASTAPI_DEFAULT_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _schema_ref(name: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def document_error_format(schema: dict[str, Any]) -> dict[str, Any]:
    """Make an OpenAPI document tell how the service answers errors: the project's format
    instead of FastAPI's ``HTTPValidationError`` on every 422, and on every operation the 500
    of :class:`UnexpectedErrorMiddleware` and the 503 of a busy database; operations that take
    a body also answer 400 (malformed or too deep) and 413 (too large)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorResponse, ServerErrorResponse):
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components[model.__name__] = model_schema
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            invalid = responses.get("422")
            if invalid is not None and "HTTPValidationError" in json.dumps(invalid):
                responses["422"] = {"description": "Invalid or missing fields"} | _schema_ref(
                    "ErrorResponse"
                )
            if "requestBody" in operation:
                for code, text in (("400", "Malformed JSON body"), ("413", "Body too large")):
                    responses.setdefault(code, {"description": text} | _schema_ref("ErrorResponse"))
            responses.setdefault(
                "503",
                {
                    "description": "A dependency is momentarily unavailable: retry after "
                    "Retry-After seconds",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                }
                | _schema_ref("ErrorResponse"),
            )
            responses.setdefault(
                "500",
                {"description": "Unexpected error (logged under error_id)"}
                | _schema_ref("ServerErrorResponse"),
            )
    if FASTAPI_DEFAULT_SCHEMAS[0] not in json.dumps(schema.get("paths", {})):
        for name in FASTAPI_DEFAULT_SCHEMAS:
            components.pop(name, None)
    return schema
