"""Bearer tokens and roles: development tokens and OIDC JWTs, 401 and 403."""

import time
from pathlib import Path
from typing import Annotated

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI

from libs.api_errors import install_error_handlers
from libs.auth import (
    DevTokenVerifier,
    InvalidToken,
    OidcTokenVerifier,
    StaffRole,
    StaffUser,
    TokenVerifier,
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
            {"exp": int(time.time()) - 10},
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
