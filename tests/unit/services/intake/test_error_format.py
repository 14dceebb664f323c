"""The shared error format and body limit (libs/api_errors.py), exercised directly over ASGI."""

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from starlette.types import Message

from libs.api_errors import BodySizeLimitMiddleware, field_path, install_error_handlers


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    tags: list[int] = []


def small_app(max_bytes: int = 100) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_bytes)
    return app


def post_scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The ASGI scope of a ``POST /items`` with these raw headers."""
    return {
        "type": "http",
        "method": "POST",
        "path": "/items",
        "headers": headers,
        "query_string": b"",
    }


async def post(app: FastAPI, content: bytes):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(
            "/items", content=content, headers={"Content-Type": "application/json"}
        )


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (("body", "email"), "email"),
        (("body", "links", 0), "links.0"),
        (("body",), "body"),
        (("header", "Idempotency-Key"), "Idempotency-Key"),
        (("query", "token"), "token"),
        (("payload", "name"), "payload.name"),
    ],
)
def test_field_paths_drop_the_request_location(location, expected) -> None:
    assert field_path(location) == expected


async def test_validation_errors_name_every_field_with_a_summary() -> None:
    response = await post(small_app(), json.dumps({"tags": ["x"], "extra": 1}).encode())
    assert response.status_code == 422
    body = response.json()
    assert {error["field"] for error in body["errors"]} == {"name", "tags.0", "extra"}
    assert body["detail"] == "3 fields are invalid: name, tags.0, extra."
    assert all(set(error) == {"field", "message", "type"} for error in body["errors"])


async def test_malformed_json_is_400_on_the_body() -> None:
    response = await post(small_app(), b"{nope")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "body"


async def test_a_declared_oversized_body_is_refused_without_reading_it() -> None:
    received: list[dict[str, Any]] = []
    app = small_app(max_bytes=10)

    async def receive() -> dict[str, Any]:
        message = {"type": "http.request", "body": b"x" * 5, "more_body": True}
        received.append(message)
        return message

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = post_scope([(b"content-length", b"1000000"), (b"content-type", b"application/json")])
    middleware = BodySizeLimitMiddleware(app, max_bytes=10)
    await middleware(scope, receive, send)
    assert received == []
    assert sent[0]["status"] == 413


async def test_a_body_streamed_past_the_limit_is_cut_off() -> None:
    chunks_read = 0

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b"x" * 40, "more_body": True}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = post_scope([])
    await BodySizeLimitMiddleware(small_app(), max_bytes=100)(scope, receive, send)
    assert chunks_read == 3
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["errors"][0]["type"] == "body_too_large"


async def test_a_body_within_the_limit_reaches_the_app_intact() -> None:
    response = await post(small_app(max_bytes=100), json.dumps({"name": "é" * 10}).encode())
    assert response.status_code == 200
    assert response.json() == {"name": "é" * 10, "tags": []}


async def test_unknown_routes_keep_a_plain_detail() -> None:
    transport = httpx.ASGITransport(app=small_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found", "errors": []}
