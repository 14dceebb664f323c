"""Each service's readiness, as its ``/readyz`` tells it (which dependency fails, if any)."""

import asyncio
from collections.abc import Mapping

import httpx

from libs.operations.report import Readiness, ServiceReadiness

TIMEOUT_SECONDS = 5.0


async def _readiness(client: httpx.AsyncClient, name: str, base_url: str) -> ServiceReadiness:
    url = f"{base_url.rstrip('/')}/readyz"
    try:
        response = await client.get(url)
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        return ServiceReadiness(
            name=name, url=url, status="unreachable", checks={"http": type(error).__name__}
        )
    status = str(body.get("status", "unknown")) if isinstance(body, dict) else "unknown"
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    if response.status_code != 200 and status == "ready":
        status = "not_ready"
    return ServiceReadiness(
        name=name, url=url, status=status, checks={str(k): str(v) for k, v in checks.items()}
    )


async def collect_readiness(services: Mapping[str, str]) -> Readiness:
    """``services``: name → base URL (``http://host:port``)."""
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
        answers = await asyncio.gather(
            *(_readiness(client, name, url) for name, url in services.items())
        )
    return Readiness(services=list(answers))
