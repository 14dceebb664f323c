"""Readiness probes for the embedded parts: each raises until its part really serves."""

import httpx
from temporalio.client import Client

from deploy.local.supervisor import ReadinessProbe
from libs.readiness import SmtpProbe


def smtp_probe(host: str, port: int) -> ReadinessProbe:
    """Ready once the server greets with ``220``, as an SMTP client would see it."""
    return SmtpProbe(host, port)


def http_probe(url: str) -> ReadinessProbe:
    """Ready once ``url`` (a service's ``/readyz``) answers 200 and, if it says, ``ready``.

    At start-up every dependency must answer, optional ones included (not ``degraded``).
    """

    async def probe() -> None:
        async with httpx.AsyncClient(timeout=3.0) as client:
            response = await client.get(url)
        response.raise_for_status()
        if "json" in response.headers.get("content-type", ""):
            status = response.json().get("status", "ready")
            if status not in ("ok", "ready"):
                raise ConnectionError(f"{url} answers {status}")

    return probe


def temporal_probe(address: str, namespace: str) -> ReadinessProbe:
    """Ready once the Temporal frontend reports itself serving."""

    async def probe() -> None:
        client = await Client.connect(address, namespace=namespace)
        if not await client.service_client.check_health():
            raise ConnectionError("Temporal frontend is not serving")

    return probe
