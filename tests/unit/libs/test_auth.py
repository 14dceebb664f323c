"""Bearer tokens and roles: development tokens and OIDC JWTs, 401 and 403."""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI

from libs.api_errors import install_error_handlers
from libs.auth import (
    DevTokenVerifier,
    InvalidToken,
    OidcTokenVerifier,
    StaffRole,
    StaffUser,
    TokenVerifier,
    VerificationKey,
    VerifierUnavailable,
    dev_signing_key,
    mint_dev_token,
    staff_user,
    write_dev_tokens,
)

ISSUER = "https://auth.example.gouv.fr"
AUDIENCE = "eig-selection"


def app_with(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.state.token_verifier = verifier

    @app.get("/jury-only")
    async def jury_only(user: Annotated[StaffUser, staff_user(StaffRole.JURY)]) -> dict[str, str]:
        return {"user": user.id}

    return app


async def get(app: FastAPI, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        return await c.get("/jury-only", headers=headers)


class TestDevelopmentTokens:
    async def test_each_role_gets_a_working_token(self, tmp_path: Path) -> None:
        tokens = write_dev_tokens(tmp_path / "dev-tokens.json")
        assert set(tokens) == {role.value for role in StaffRole}
        app = app_with(DevTokenVerifier(tmp_path / "dev-tokens.json"))
        assert (await get(app, tokens["jury"])).json() == {"user": "dev-jury"}
        assert (await get(app, tokens["admin"])).status_code == 200  # admin can do anything

    async def test_the_file_is_kept_across_restarts(self, tmp_path: Path) -> None:
        first = write_dev_tokens(tmp_path / "dev-tokens.json")
        assert write_dev_tokens(tmp_path / "dev-tokens.json") == first

    async def test_no_token_or_a_wrong_one_is_401_and_a_wrong_role_403(
        self, tmp_path: Path
    ) -> None:
        tokens = write_dev_tokens(tmp_path / "dev-tokens.json")
        app = app_with(DevTokenVerifier(tmp_path / "dev-tokens.json"))
        missing = await get(app, None)
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await get(app, "forged")).status_code == 401
        wrong_role = await get(app, tokens["evaluator"])
        assert wrong_role.status_code == 403
        assert "jury" in wrong_role.json()["detail"]


class TestOidcTokens:
    @pytest.fixture(scope="class")
    def key(self) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def verifier(self, key: rsa.RSAPrivateKey) -> OidcTokenVerifier:
        return OidcTokenVerifier(
            issuer=ISSUER, audience=AUDIENCE, signing_key_for=lambda _token: key.public_key()
        )

    def token(self, key: rsa.RSAPrivateKey, **overrides: object) -> str:
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "agent-42",
            "exp": int(time.time()) + 300,
            "roles": ["jury"],
        }
        claims.update(overrides)
        return jwt.encode(claims, key, algorithm="RS256")

    async def test_a_valid_token_gives_its_subject_and_roles(self, key: rsa.RSAPrivateKey) -> None:
        user = await self.verifier(key).verify(self.token(key, roles=["jury", "unknown"]))
        assert user == StaffUser(id="agent-42", roles=frozenset({StaffRole.JURY}))

    @pytest.mark.parametrize(
        "overrides",
        [
            {"iss": "https://elsewhere.example"},
            {"aud": "another-app"},
            {"exp": int(time.time()) - 120},
        ],
    )
    async def test_a_token_for_someone_else_or_expired_is_refused(
        self, key: rsa.RSAPrivateKey, overrides: dict[str, object]
    ) -> None:
        with pytest.raises(InvalidToken):
            await self.verifier(key).verify(self.token(key, **overrides))

    async def test_a_token_signed_by_another_key_is_refused(self, key: rsa.RSAPrivateKey) -> None:
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        with pytest.raises(InvalidToken):
            await self.verifier(key).verify(self.token(other))

    async def test_the_endpoint_accepts_a_valid_jwt_with_the_role(
        self, key: rsa.RSAPrivateKey
    ) -> None:
        app = app_with(self.verifier(key))
        assert (await get(app, self.token(key))).json() == {"user": "agent-42"}
        assert (await get(app, self.token(key, roles=["staff"]))).status_code == 403

    async def test_a_clock_slightly_ahead_of_ours_is_tolerated(
        self, key: rsa.RSAPrivateKey
    ) -> None:
        just_expired = self.token(key, exp=int(time.time()) - 10, iat=int(time.time()) + 10)
        assert (await self.verifier(key).verify(just_expired)).id == "agent-42"

    async def test_none_and_hmac_algorithms_are_refused(self, key: rsa.RSAPrivateKey) -> None:
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 300}
        unsigned = jwt.encode(claims, "", algorithm="none")
        # HS256 "signed" with the public key, which anyone can fetch from the JWKS.
        public_pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = _b64({"alg": "HS256", "typ": "JWT"})
        payload = _b64(claims)
        signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256)
        forged = f"{header}.{payload}.{_b64url(signature.digest())}"
        verifier = OidcTokenVerifier(
            issuer=ISSUER, audience=AUDIENCE, signing_key_for=lambda _token: public_pem
        )
        for token in (unsigned, forged):
            with pytest.raises(InvalidToken, match="not accepted"):
                await verifier.verify(token)

    async def test_a_token_must_use_its_keys_algorithm(self, key: rsa.RSAPrivateKey) -> None:
        ps256 = jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": int(time.time()) + 300},
            key,
            algorithm="PS256",
        )
        declared_rs256 = OidcTokenVerifier(
            issuer=ISSUER,
            audience=AUDIENCE,
            signing_key_for=lambda _token: VerificationKey(key.public_key(), "RS256"),
        )
        with pytest.raises(InvalidToken, match="does not sign with PS256"):
            await declared_rs256.verify(ps256)
        ec_key = ec.generate_private_key(ec.SECP256R1())
        es256 = jwt.encode({"sub": "x"}, ec_key, algorithm="ES256")
        with pytest.raises(InvalidToken, match="does not sign with ES256"):
            await self.verifier(key).verify(es256)

    @pytest.mark.parametrize("roles", [5, {"admin": True}, [["admin"]], ["jury", 3]])
    async def test_a_malformed_roles_claim_is_401_not_500(
        self, key: rsa.RSAPrivateKey, roles: object
    ) -> None:
        answer = await get(app_with(self.verifier(key)), self.token(key, roles=roles))
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64(value: object) -> str:
    return _b64url(json.dumps(value).encode())


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on a free loopback port (the JWKS or userinfo endpoint)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def json_handler(answers: dict[str, tuple[int, object]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = answers.get(self.path, (404, {}))
            if callable(body):
                body = body(self.headers.get("Authorization", ""))
            # A string is a signed answer (a JWT), anything else JSON.
            signed = isinstance(body, str)
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/jwt" if signed else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class TestProviderEndpoints:
    """The JWKS and userinfo endpoints over real HTTP: keys by kid with their declared
    algorithm, a provider that is down or hangs (503 with Retry-After, within the timeout)."""

    @pytest.fixture(scope="class")
    def key(self) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self, key: rsa.RSAPrivateKey) -> dict[str, object]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        return {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}

    def token(self, key: rsa.RSAPrivateKey, **overrides: object) -> str:
        claims: dict[str, object] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "agent-7"}
        claims["roles"] = "staff"
        claims |= {"exp": int(time.time()) + 300, **overrides}
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    async def test_a_key_from_the_jwks_verifies_its_token(self, key: rsa.RSAPrivateKey) -> None:
        with http_server(json_handler({"/jwks": (200, self.jwks(key))})) as url:
            verifier = OidcTokenVerifier.from_jwks_url(
                issuer=ISSUER, audience=AUDIENCE, jwks_url=f"{url}/jwks"
            )
            user = await verifier.verify(self.token(key))
            assert user == StaffUser(id="agent-7", roles=frozenset({StaffRole.STAFF}))
            with pytest.raises(InvalidToken):  # a kid the JWKS does not hold
                await verifier.verify(jwt.encode({"sub": "x"}, key, "RS256", {"kid": "k9"}))

    async def test_a_jwks_endpoint_down_is_503_with_retry_after(
        self, key: rsa.RSAPrivateKey
    ) -> None:
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        verifier = OidcTokenVerifier.from_jwks_url(
            issuer=ISSUER, audience=AUDIENCE, jwks_url=f"http://127.0.0.1:{port}/jwks"
        )
        answer = await get(app_with(verifier), self.token(key))
        assert answer.status_code == 503
        assert answer.headers["Retry-After"] == "5"
        assert "Identity provider unreachable" in answer.json()["detail"]

    async def test_a_hanging_jwks_endpoint_gives_up_after_the_timeout(
        self, key: rsa.RSAPrivateKey
    ) -> None:
        # Accepts connections (the backlog) and never answers.
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            verifier = OidcTokenVerifier.from_jwks_url(
                issuer=ISSUER,
                audience=AUDIENCE,
                jwks_url=f"http://127.0.0.1:{silent.getsockname()[1]}/jwks",
                timeout_seconds=0.5,
            )
            started = time.monotonic()
            answer = await get(app_with(verifier), self.token(key))
        assert answer.status_code == 503
        assert time.monotonic() - started < 15  # far below PyJWT's default of 30 s

    async def test_an_opaque_token_is_vouched_for_by_userinfo(self) -> None:
        def claims(authorization: str) -> object:
            return {"sub": "agent-9", "roles": ["jury"], "given_name": "Ada", "usual_name": "L"}

        answers: dict[str, tuple[int, object]] = {"/userinfo": (200, claims)}
        with http_server(json_handler(answers)) as url:
            verifier = OidcTokenVerifier.from_jwks_url(
                issuer=ISSUER,
                audience=AUDIENCE,
                jwks_url=f"{url}/jwks",
                userinfo_url=f"{url}/userinfo",
            )
            user = await verifier.verify("opaque-token")
            assert user == StaffUser(id="agent-9", roles=frozenset({StaffRole.JURY}), name="Ada L")
            answers["/userinfo"] = (401, {"error": "invalid_token"})
            with pytest.raises(InvalidToken):
                await verifier.verify("another-opaque-token")
            answers["/userinfo"] = (502, {})
            with pytest.raises(VerifierUnavailable):
                await verifier.verify("a-third-opaque-token")
            # The first answer is kept a minute: no request for it.
            assert (await verifier.verify("opaque-token")).id == "agent-9"

    async def test_a_signed_userinfo_answer_is_checked_with_the_jwks(
        self, key: rsa.RSAPrivateKey
    ) -> None:
        # ProConnect answers userinfo with a JWT signed for the client, with no expiry.
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "agent-3", "roles": ["admin"]}
        signed = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "k1"})
        answers: dict[str, tuple[int, object]] = {
            "/jwks": (200, self.jwks(key)),
            "/userinfo": (200, signed),
        }
        with http_server(json_handler(answers)) as url:
            verifier = OidcTokenVerifier.from_jwks_url(
                issuer=ISSUER,
                audience=AUDIENCE,
                jwks_url=f"{url}/jwks",
                userinfo_url=f"{url}/userinfo",
            )
            user = await verifier.verify("opaque")
            assert user == StaffUser(id="agent-3", roles=frozenset({StaffRole.ADMIN}))
            answers["/userinfo"] = (200, forged)
            with pytest.raises(InvalidToken):
                await verifier.verify("another-opaque")


class TestDevJwt:
    async def test_a_minted_token_names_its_person_and_role(self, tmp_path: Path) -> None:
        key = dev_signing_key(tmp_path / "dev-signing-key", create=True)
        assert key is not None
        token = mint_dev_token(
            key,
            subject="dev-jury-camille",
            name="Camille Martin",
            roles=frozenset({StaffRole.JURY}),
            lifetime_seconds=60,
        )

        user = await DevTokenVerifier(tmp_path / "dev-tokens.json").verify(token)

        assert user == StaffUser(
            id="dev-jury-camille", roles=frozenset({StaffRole.JURY}), name="Camille Martin"
        )

    async def test_a_token_signed_with_another_key_or_expired_is_refused(
        self, tmp_path: Path
    ) -> None:
        dev_signing_key(tmp_path / "dev-signing-key", create=True)
        verifier = DevTokenVerifier(tmp_path / "dev-tokens.json")
        roles = frozenset({StaffRole.ADMIN})
        forged = mint_dev_token(
            b"another key of thirty-two bytes!!",
            subject="x",
            name="X",
            roles=roles,
            lifetime_seconds=60,
        )
        key = dev_signing_key(tmp_path / "dev-signing-key")
        assert key is not None
        expired = mint_dev_token(key, subject="x", name="X", roles=roles, lifetime_seconds=-60)

        for token in (forged, expired):
            with pytest.raises(InvalidToken):
                await verifier.verify(token)

    def test_the_key_is_created_once(self, tmp_path: Path) -> None:
        path = tmp_path / "dev-signing-key"

        first = dev_signing_key(path, create=True)

        assert first is not None and dev_signing_key(path, create=True) == first
        assert path.stat().st_mode & 0o777 == 0o600
