"""A real OpenID Connect provider for tests: ``oidc-provider-mock`` (a dev dependency) run as a
process of its own on a free loopback port, with the settings that point the console and the
staff APIs at it, and helpers that sign a staff member in through it.

    async with oidc_provider() as provider:
        await provider.add_user("camille", roles=["staff"], given_name="Camille")
        settings = console_settings(tmp_path, **provider.console_settings(console_url))
        ...
        await sign_in_with_httpx(provider, browser, "camille")       # an httpx client
        await sign_in_with_chromium(page, console_url, "camille")    # Playwright
        token = await provider.access_token("camille")                 # for the staff APIs

Its access tokens are opaque: the staff APIs accept them through the provider's userinfo
endpoint (``OIDC_USERINFO_URL``, see :meth:`OidcProvider.api_settings`). Its ID tokens are
RS256 JWTs with the user's claims; it ignores PKCE (the console sends the challenge and the
verifier all the same) and remembers no nonce (the console refuses a replayed one itself).
"""

import asyncio
import re
import secrets
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlsplit

import httpx
from playwright.async_api import Page, Route

from deploy.local.engines import free_port, wait_for_port
from tests.eventually import eventually

CLIENT_ID: Final = "eig-console"
CLIENT_SECRET: Final = "console-test-secret"  # noqa: S105 - the test provider takes any
SCOPES: Final = "openid email profile given_name usual_name"
"""ProConnect's scopes, plus ``profile``: the mock releases ``given_name`` only with it."""


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    """``http://127.0.0.1:<port>``: the mock names itself after the host it is reached by."""

    async def add_user(self, sub: str, **claims: Any) -> None:
        """A user the provider signs in as ``sub`` with these claims (``roles``, ``email``,
        ``given_name``, ``usual_name``…); a subject never added gets only an e-mail claim."""
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims)
        answer.raise_for_status()

    async def access_token(self, sub: str) -> str:
        """An access token of ``sub``'s, as a program gets one: the authorization code flow
        without a browser (the provider's form posted, the code exchanged), for tests that
        call the staff APIs themselves while the stack signs in through this provider."""
        redirect_uri = "http://127.0.0.1/callback"  # never followed: the code is read off it
        async with httpx.AsyncClient(base_url=self.issuer, timeout=10) as client:
            start = await client.get(
                "/oauth2/authorize",
                params={
                    "client_id": CLIENT_ID,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": SCOPES,
                    "state": "api-client",
                    "nonce": secrets.token_urlsafe(16),
                },
            )
            start.raise_for_status()
            callback = await authorize(str(start.url), sub)
            code = parse_qs(urlsplit(callback).query)["code"][0]
            answer = await client.post(
                "/oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                },
            )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def api_settings(self) -> dict[str, Any]:
        """Settings of a staff API (selection, contracts) that accepts the provider's tokens."""
        return {
            "AUTH_MODE": "oidc",
            "OIDC_ISSUER": self.issuer,
            "OIDC_AUDIENCE": CLIENT_ID,
            "OIDC_JWKS_URL": f"{self.issuer}/jwks",
            "OIDC_USERINFO_URL": f"{self.issuer}/userinfo",
        }

    def console_settings(self, console_url: str) -> dict[str, Any]:
        """Settings of a console reached at ``console_url`` that signs in through the provider."""
        return {
            **self.api_settings(),
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_SCOPES": SCOPES,
            "OIDC_PROVIDER_NAME": "MockConnect",
            "CONSOLE_PUBLIC_URL": console_url,
        }

    def environment(self, console_url: str) -> dict[str, str]:
        """The same settings as environment variables, for processes (tests/local_stack.py)."""
        return {name: str(value) for name, value in self.console_settings(console_url).items()}


@asynccontextmanager
async def oidc_provider() -> AsyncIterator[OidcProvider]:
    """The provider, started and stopped with the block (nonce required, no refresh token)."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "oidc_provider_mock",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--require-nonce",
        "--no-refresh-token",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    provider = OidcProvider(f"http://127.0.0.1:{port}")
    try:
        await wait_for_port("127.0.0.1", port)

        async def discovery_answers() -> bool:
            if process.returncode is not None:
                raise RuntimeError(f"oidc-provider-mock exited with {process.returncode}")
            async with httpx.AsyncClient(timeout=5) as client:
                answer = await client.get(f"{provider.issuer}/.well-known/openid-configuration")
            return answer.status_code == 200

        await eventually(discovery_answers, timeout=30)
        yield provider
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def authorize(authorization_url: str, sub: str) -> str:
    """What the user does at the provider: sign in as ``sub``; returns the callback URL the
    provider sends the browser back to (with its code and the state)."""
    async with httpx.AsyncClient(timeout=10) as user_agent:  # another site: its own cookies
        answer = await user_agent.post(authorization_url, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    return answer.headers["location"]


async def sign_in_with_httpx(
    browser: httpx.AsyncClient, sub: str, *, next_path: str = "/console/"
) -> httpx.Response:
    """A console client (cookies kept) signs in as ``sub``; returns the callback's answer (a
    303 to ``next_path`` once signed in, the 403 page for a user without a role)."""
    start = await browser.get("/console/connexion/oidc", params={"suivant": next_path})
    assert start.status_code == 303, start.text
    return await browser.get(await authorize(start.headers["location"], sub))


async def keep_the_provider_offline(page: Page) -> None:
    """The mock's pages link a stylesheet on a CDN: answer it with nothing, so the browser
    downloads nothing and waits for nothing (an unstyled form works the same)."""

    async def empty_stylesheet(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/css", body="")

    await page.route(re.compile(r"^https://cdn\.jsdelivr\.net/"), empty_stylesheet)


async def sign_in_with_chromium(
    page: Page, console_url: str, sub: str, *, next_path: str = "/console/"
) -> None:
    """Chromium signs in as ``sub`` through the sign-in page's button and the provider's form;
    returns once the console shows ``next_path``."""
    await keep_the_provider_offline(page)
    await page.goto(f"{console_url}/console/connexion?suivant={quote(next_path)}")
    await page.get_by_role("link", name=re.compile("^Se connecter avec")).click()
    await page.locator("input[name=sub]").fill(sub)
    await page.get_by_role("button", name="Authorize").click()
    # Generous: the page signed in to (the ops page reads every source) can be slow to come.
    await page.wait_for_url(f"{console_url}{next_path}", timeout=60_000)
