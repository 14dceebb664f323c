"""Staff authentication: bearer tokens carrying roles.

Production validates OIDC JWTs (issuer, audience, signature against the provider's JWKS, as
ProConnect issues them); the embedded stack uses random development tokens, one per role, that
``make run`` writes to ``DATA_DIR/dev-tokens.json``, and development JWTs that the console's
development sign-in mints for a chosen name and role (signed with ``DATA_DIR/dev-signing-key``,
see :func:`mint_dev_token`). Either way an endpoint only declares the roles it accepts with
:func:`require_roles`.
"""

import asyncio
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol

import jwt
from fastapi import Depends, Request

from libs.api_errors import ApiError, ErrorResponse
from libs.config import AuthMode, PlatformSettings


class StaffRole(StrEnum):
    STAFF = "staff"
    """Programme team: sees dossiers, concludes investigations, records steps."""
    EVALUATOR = "evaluator"
    """Scores dossiers against the criteria."""
    JURY = "jury"
    """Records the selection committee's decisions."""
    ADMIN = "admin"
    """Everything the other roles can do, plus promotions, rounds and countersignatures."""


@dataclass(frozen=True)
class StaffUser:
    id: str
    roles: frozenset[StaffRole]
    name: str = ""
    """Display name (given and usual names), recorded beside the id as the actor of actions."""

    def has_any(self, roles: frozenset[StaffRole]) -> bool:
        return StaffRole.ADMIN in self.roles or bool(self.roles & roles)

    @property
    def sees_personal_details(self) -> bool:
        """Contact details and pay are the programme team's business: evaluators and the jury
        judge a dossier on its merits and never need them (least privilege)."""
        return self.has_any(frozenset({StaffRole.STAFF}))


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not issued for us."""


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> StaffUser: ...


DEV_TOKEN_ISSUER = "eig-dev"  # noqa: S105 - a name, not a secret
DEV_TOKEN_AUDIENCE = "eig-staff-api"  # noqa: S105 - a name, not a secret
DEV_SIGNING_KEY_FILE = "dev-signing-key"
"""Beside ``dev-tokens.json``: the HMAC key of the development JWTs."""


def dev_signing_key(path: Path, *, create: bool = False) -> bytes | None:
    """The development JWT key in ``path``; with ``create``, written first if missing (one
    process wins the race, the others read its key)."""
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as key_file:
                key_file.write(secrets.token_urlsafe(48))
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    return key.encode() if key else None


def mint_dev_token(
    key: bytes, *, subject: str, name: str, roles: frozenset[StaffRole], lifetime_seconds: int
) -> str:
    """A development JWT for a person of the developer's choosing (the console's sign-in in
    ``AUTH_MODE=dev``); the staff APIs accept it in development only."""
    now = int(time.time())
    claims = {
        "iss": DEV_TOKEN_ISSUER,
        "aud": DEV_TOKEN_AUDIENCE,
        "sub": subject,
        "name": name,
        "roles": sorted(role.value for role in roles),
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    return jwt.encode(claims, key, algorithm="HS256")


class DevTokenVerifier:
    """Tokens from ``dev-tokens.json`` (role → token), re-read when the file changes, and
    development JWTs signed with the key beside it (:func:`mint_dev_token`)."""

    def __init__(self, path: Path, signing_key_path: Path | None = None) -> None:
        self.path = path
        self.signing_key_path = signing_key_path or path.with_name(DEV_SIGNING_KEY_FILE)
        self._cache: tuple[float, dict[str, StaffRole]] | None = None

    async def verify(self, token: str) -> StaffUser:
        for known, role in self._tokens().items():
            if secrets.compare_digest(known.encode(), token.encode()):
                return StaffUser(id=f"dev-{role.value}", roles=frozenset({role}))
        if token.count(".") == 2:
            return self._verify_jwt(token)
        raise InvalidToken("unknown development token")

    def _verify_jwt(self, token: str) -> StaffUser:
        key = dev_signing_key(self.signing_key_path)
        if key is None:
            raise InvalidToken("no development signing key")
        try:
            claims: Mapping[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["HS256"],
                audience=DEV_TOKEN_AUDIENCE,
                issuer=DEV_TOKEN_ISSUER,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(type(error).__name__) from error
        return StaffUser(
            id=str(claims["sub"]), roles=roles_of(claims.get("roles")), name=str(claims["name"])
        )

    def _tokens(self) -> dict[str, StaffRole]:
        try:
            modified = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if self._cache is None or self._cache[0] != modified:
            by_role = json.loads(self.path.read_text())
            self._cache = (modified, {token: StaffRole(role) for role, token in by_role.items()})
        return self._cache[1]


def write_dev_tokens(path: Path) -> dict[str, str]:
    """Create ``path`` with one random token per role unless it exists; return its content."""
    if path.exists():
        tokens: dict[str, str] = json.loads(path.read_text())
        return tokens
    tokens = {role.value: f"dev-{role.value}-{secrets.token_urlsafe(24)}" for role in StaffRole}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2) + "\n")
    path.chmod(0o600)
    return tokens


SigningKeyFor = Callable[[str], Any]
"""Token → the key that signed it (``PyJWKClient.get_signing_key_from_jwt(token).key``)."""


class OidcTokenVerifier:
    """Signed JWTs from the identity provider; roles read from a claim (a list of names)."""

    ALGORITHMS = ("RS256", "ES256", "PS256")

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        signing_key_for: SigningKeyFor,
        roles_claim: str = "roles",
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.signing_key_for = signing_key_for
        self.roles_claim = roles_claim

    @classmethod
    def from_jwks_url(
        cls, *, issuer: str, audience: str, jwks_url: str, roles_claim: str = "roles"
    ) -> "OidcTokenVerifier":
        client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600)

        def signing_key_for(token: str) -> Any:
            return client.get_signing_key_from_jwt(token).key

        return cls(
            issuer=issuer,
            audience=audience,
            signing_key_for=signing_key_for,
            roles_claim=roles_claim,
        )

    async def verify(self, token: str) -> StaffUser:
        try:
            # The JWKS fetch (cached) is blocking I/O: keep it off the event loop.
            key = await asyncio.to_thread(self.signing_key_for, token)
            claims: Mapping[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(self.ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(type(error).__name__) from error
        return StaffUser(
            id=str(claims["sub"]),
            roles=roles_of(claims.get(self.roles_claim)),
            name=display_name(claims),
        )


def roles_of(raw_roles: Any) -> frozenset[StaffRole]:
    """The known roles in a claim holding one name or a list of names (others are ignored)."""
    if raw_roles is None:
        return frozenset()
    names = [raw_roles] if isinstance(raw_roles, str) else list(raw_roles)
    return frozenset(StaffRole(name) for name in names if name in StaffRole._value2member_map_)


def display_name(claims: Mapping[str, Any]) -> str:
    """ProConnect's ``given_name`` and ``usual_name``, else the standard ``name`` claim."""
    parts = [str(claims.get(claim) or "").strip() for claim in ("given_name", "usual_name")]
    joined = " ".join(part for part in parts if part)
    return joined or str(claims.get("name") or "").strip()


def token_verifier(settings: PlatformSettings) -> TokenVerifier:
    if settings.AUTH_MODE == AuthMode.OIDC:
        assert settings.OIDC_ISSUER and settings.OIDC_AUDIENCE and settings.OIDC_JWKS_URL
        return OidcTokenVerifier.from_jwks_url(
            issuer=settings.OIDC_ISSUER,
            audience=settings.OIDC_AUDIENCE,
            jwks_url=settings.OIDC_JWKS_URL,
            roles_claim=settings.OIDC_ROLES_CLAIM,
        )
    return DevTokenVerifier(settings.dev_tokens_file)


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="eig"'})


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No valid bearer token"},
    403: {"model": ErrorResponse, "description": "Role not allowed"},
}
"""How a staff route answers without a valid token or an accepted role (its OpenAPI responses)."""


def require_roles(*accepted: StaffRole) -> Callable[[Request], Awaitable[StaffUser]]:
    """A FastAPI dependency: 401 without a valid bearer token, 403 without an accepted role.

    The verifier is the app's ``state.token_verifier`` (set by the service's ``create_app``).
    """
    wanted = frozenset(accepted)

    async def current_user(request: Request) -> StaffUser:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("Authentification requise / Authentication required.")
        verifier: TokenVerifier = request.app.state.token_verifier
        try:
            user = await verifier.verify(token.strip())
        except InvalidToken:
            raise _unauthorized("Jeton invalide ou expiré / Invalid or expired token.") from None
        if not user.has_any(wanted):
            names = ", ".join(sorted(role.value for role in wanted))
            raise ApiError(403, f"Rôle requis / Role required: {names}.")
        return user

    return current_user


def staff_user(*accepted: StaffRole) -> Any:
    """``Annotated[StaffUser, staff_user(StaffRole.STAFF)]`` for endpoint parameters."""
    return Depends(require_roles(*accepted))


StaffDep = Annotated[StaffUser, staff_user(StaffRole.STAFF)]
"""Programme team members (admins included, as in every dependency below)."""
EvaluatorDep = Annotated[StaffUser, staff_user(StaffRole.EVALUATOR)]
JuryDep = Annotated[StaffUser, staff_user(StaffRole.JURY)]
AdminDep = Annotated[StaffUser, staff_user(StaffRole.ADMIN)]
AnyStaffDep = Annotated[StaffUser, staff_user(StaffRole.STAFF, StaffRole.EVALUATOR, StaffRole.JURY)]
"""Anyone with a staff role: reading dossiers."""
