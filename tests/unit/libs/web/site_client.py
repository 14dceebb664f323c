"""The libs.web test site over ASGI, as a browser would call it (cookies kept)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.web_site import Counter, create_site

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HOST = "site.test"


@asynccontextmanager
async def site_client(counter: Counter | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_site(counter)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as client:
        yield client
