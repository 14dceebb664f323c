"""The console's OIDC sign-in against a real provider process (tests/oidc_provider.py): the
authorization code flow with PKCE, state and nonce, an ID token checked with the provider's
JWKS, the user's own (opaque) access token passed to the staff APIs, which check it with the
provider's userinfo endpoint; a wrong state, a wrong or replayed nonce, an expired session, a
user without a role, sign-out at the provider, and a provider that is down."""

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import httpx
import pytest
from starlette.requests import Request

from deploy.local.engines import free_port
from libs.auth import StaffRole, StaffUser, token_verifier
from services.console.app import create_app
from services.console.bootstrap import Console, bootstrap
from services.console.oidc import code_challenge
from services.console.sessions import PENDING_COOKIE, SESSION_COOKIE
from tests.oidc_provider import (
    CLIENT_ID,
    OidcProvider,
    authorize,
    sign_in_with_httpx,
)
from tests.unit.services.console.conftest import PAGE, console_settings, csrf_token, post_form
from tests.unit.services.console.fakes import FakeStaffApi

pytestmark = pytest.mark.integration

CONSOLE_URL = "http://console.test"


def settings_for(provider: OidcProvider, tmp_path: Path, **overrides: Any) -> Any:
    return console_settings(tmp_path, **provider.console_settings(CONSOLE_URL), **overrides)


@pytest.fixture
def console(provider: OidcProvider, tmp_path: Path) -> Console:
    settings = settings_for(provider, tmp_path)
    # The staff API checks the token as selection and contracts do with these settings.
    return bootstrap(settings, api=FakeStaffApi(verifier=token_verifier(settings)))


@pytest.fixture
async def browser(console: Console) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(console=console))
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_URL, headers=PAGE) as client:
        yield client


def with_query(url: str, **changes: str) -> str:
    parts = urlparse(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()} | changes
    return urlunparse(parts._replace(query=urlencode(query)))


class TestSigningIn:
    async def test_the_provider_signs_a_staff_member_in_and_the_api_gets_their_token(
        self, browser: httpx.AsyncClient, console: Console
    ) -> None:
        start = await browser.get("/console/connexion/oidc", params={"suivant": "/console/"})
        query = parse_qs(urlparse(start.headers["location"]).query)
        assert query["client_id"] == [CLIENT_ID]
        assert query["redirect_uri"] == [f"{CONSOLE_URL}/console/connexion/retour"]
        assert query["code_challenge_method"] == ["S256"]
        assert query["scope"] == ["openid email profile given_name usual_name"]
        assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
        pending_cookie = _cookie(browser, PENDING_COOKIE).encode()
        pending = console.cookies.read_pending(
            Request({"type": "http", "headers": [(b"cookie", pending_cookie)]})
        )
        assert pending is not None
        assert query["code_challenge"] == [code_challenge(pending["code_verifier"])]

        signed_in = await browser.get(await authorize(start.headers["location"], "camille"))

        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/console/"
        assert PENDING_COOKIE not in browser.cookies  # a state and a nonce serve once
        cookie = next(
            value
            for value in signed_in.headers.get_list("set-cookie")
            if value.startswith(f"{SESSION_COOKIE}=")
        )
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        dashboard = await browser.get("/console/")
        assert dashboard.status_code == 200
        assert "Camille Martin" in dashboard.text
        api = console.api
        assert isinstance(api, FakeStaffApi)
        token = api.calls[0][1]
        assert await api.verifier.verify(token) == StaffUser(
            id="camille", roles=frozenset({StaffRole.STAFF}), name="Camille Martin"
        )

    async def test_it_returns_to_the_page_asked_for(self, browser: httpx.AsyncClient) -> None:
        answer = await sign_in_with_httpx(browser, "camille", next_path="/console/dossiers")
        assert answer.headers["location"] == "/console/dossiers"

    async def test_the_sign_in_page_offers_the_provider_and_no_dev_form(
        self, browser: httpx.AsyncClient
    ) -> None:
        page = await browser.get("/console/connexion?suivant=/console/rounds")
        assert 'href="/console/connexion/oidc?suivant=%2Fconsole%2Frounds"' in page.text
        assert "dev-sign-in" not in page.text
        dev_post = await browser.post(
            "/console/connexion",
            data={"csrf_token": csrf_token(browser), "name": "X", "role": "admin"},
        )
        assert dev_post.status_code == 403
        assert SESSION_COOKIE not in browser.cookies


class TestRefusedAnswers:
    async def test_a_wrong_state_signs_no_one_in(self, browser: httpx.AsyncClient) -> None:
        start = await browser.get("/console/connexion/oidc")
        callback = await authorize(start.headers["location"], "camille")

        answer = await browser.get(with_query(callback, state="not-the-one-we-sent"))

        assert answer.status_code == 400
        assert "Connexion impossible" in answer.text
        assert SESSION_COOKIE not in browser.cookies
        assert (await browser.get("/console/")).status_code == 303

    async def test_a_callback_without_a_sign_in_started_here_is_refused(
        self, provider: OidcProvider, console: Console, browser: httpx.AsyncClient
    ) -> None:
        # Login CSRF: another browser's code and state, pushed into this browser.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(console=console)), base_url=CONSOLE_URL
        ) as attacker:
            start = await attacker.get("/console/connexion/oidc")
            callback = await authorize(start.headers["location"], "camille")

        assert (await browser.get(callback)).status_code == 400
        assert SESSION_COOKIE not in browser.cookies

    async def test_an_id_token_with_another_nonce_is_refused(
        self, browser: httpx.AsyncClient
    ) -> None:
        start = await browser.get("/console/connexion/oidc")
        # The same state, but the provider is asked for a token with a nonce of our choosing.
        tampered = with_query(start.headers["location"], nonce="a-nonce-of-the-attacker")

        answer = await browser.get(await authorize(tampered, "camille"))

        assert answer.status_code == 400
        assert SESSION_COOKIE not in browser.cookies

    async def test_a_replayed_nonce_is_refused(
        self, console: Console, browser: httpx.AsyncClient
    ) -> None:
        start = await browser.get("/console/connexion/oidc")
        authorization_url = start.headers["location"]
        pending = _cookie(browser, PENDING_COOKIE)
        first = await authorize(authorization_url, "camille")
        assert (await browser.get(first)).status_code == 303  # signed in, the nonce used

        app = create_app(console=console)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=CONSOLE_URL,
            headers={"cookie": pending},
        ) as replay:
            # The same callback again (its code is spent), then a fresh code for the same
            # state and nonce, each with the captured pending cookie.
            assert (await replay.get(first)).status_code == 400
            second = await authorize(authorization_url, "camille")
            answer = await replay.get(second)
        assert answer.status_code == 400
        set_cookies = answer.headers.get_list("set-cookie")
        assert not any(value.startswith(f"{SESSION_COOKIE}=") for value in set_cookies)

    async def test_a_sign_in_left_at_the_provider_too_long_is_refused(
        self, console: Console, browser: httpx.AsyncClient
    ) -> None:
        start = await browser.get("/console/connexion/oidc")
        callback = await authorize(start.headers["location"], "camille")
        pending = console.cookies.fernet.decrypt(browser.cookies[PENDING_COOKIE].encode())
        # The same pending sign-in, as if started eleven minutes ago.
        stale = console.cookies.fernet.encrypt_at_time(pending, int(time.time()) - 660)

        app = create_app(console=console)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=CONSOLE_URL,
            headers={"cookie": f"{PENDING_COOKIE}={stale.decode()}"},
        ) as late:
            answer = await late.get(callback)

        assert answer.status_code == 400
        assert "Connexion impossible" in answer.text

    async def test_the_provider_s_refusal_is_shown_as_a_failed_sign_in(
        self, browser: httpx.AsyncClient
    ) -> None:
        await browser.get("/console/connexion/oidc")
        answer = await browser.get("/console/connexion/retour?error=access_denied&state=x")
        assert answer.status_code == 400
        assert "Recommencez la connexion" in answer.text


class TestRolesAndSessions:
    async def test_a_user_without_a_role_gets_the_403_page_and_no_session(
        self, browser: httpx.AsyncClient
    ) -> None:
        answer = await sign_in_with_httpx(browser, "sans-role")

        assert answer.status_code == 403
        assert "Aucun rôle dans la console" in answer.text
        assert SESSION_COOKIE not in browser.cookies

    async def test_a_malformed_roles_claim_signs_no_one_in(
        self, browser: httpx.AsyncClient
    ) -> None:
        answer = await sign_in_with_httpx(browser, "roles-casses")
        assert answer.status_code == 400
        assert SESSION_COOKIE not in browser.cookies

    async def test_an_idle_session_is_over(
        self, browser: httpx.AsyncClient, console: Console
    ) -> None:
        await sign_in_with_httpx(browser, "camille")
        assert (await browser.get("/console/")).status_code == 200
        object.__setattr__(console.cookies, "idle_seconds", -1)  # every cookie is now too old

        answer = await browser.get("/console/dossiers")

        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/console/connexion?suivant=")

    async def test_signing_out_ends_the_session_then_the_provider_s(
        self, provider: OidcProvider, browser: httpx.AsyncClient
    ) -> None:
        await sign_in_with_httpx(browser, "camille")

        page = await post_form(browser, "/console/", "/console/deconnexion", {})

        assert page.status_code == 200
        assert "Vous êtes déconnecté de la console" in page.text
        assert (await browser.get("/console/")).status_code == 303
        link = page.text.split('id="end-provider-session" href="')[1].split('"')[0]
        end_session = link.replace("&amp;", "&")
        assert end_session.startswith(f"{provider.issuer}/oauth2/end_session?")
        query = parse_qs(urlparse(end_session).query)
        assert query["post_logout_redirect_uri"] == [f"{CONSOLE_URL}/console/connexion"]
        assert query["id_token_hint"][0].count(".") == 2
        async with httpx.AsyncClient(timeout=10) as user_agent:
            form = await user_agent.get(end_session)
            assert form.status_code == 200
            confirmed = await user_agent.post(
                f"{provider.issuer}/oauth2/end_session/confirm",
                data={"redirect_uri": query["post_logout_redirect_uri"][0]},
            )
        assert confirmed.headers["location"] == f"{CONSOLE_URL}/console/connexion"


async def test_a_provider_that_is_down_is_a_503_page(tmp_path: Path) -> None:
    issuer = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = console_settings(
        tmp_path,
        AUTH_MODE="oidc",
        OIDC_ISSUER=issuer,
        OIDC_AUDIENCE=CLIENT_ID,
        OIDC_JWKS_URL=f"{issuer}/jwks",
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_FETCH_TIMEOUT_SECONDS=1,
        CONSOLE_PUBLIC_URL=CONSOLE_URL,
    )
    console = bootstrap(settings, api=FakeStaffApi(verifier=token_verifier(settings)))
    transport = httpx.ASGITransport(app=create_app(console=console))
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_URL, headers=PAGE) as c:
        answer = await c.get("/console/connexion/oidc")
    assert answer.status_code == 503
    assert "Fournisseur d’identité injoignable" in answer.text


def _cookie(browser: httpx.AsyncClient, name: str) -> str:
    return f"{name}={browser.cookies[name]}"
