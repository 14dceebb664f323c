"""Staff authentication: bearer tokens carrying roles.

Production validates OIDC JWTs (issuer, audience, signature against the provider's JWKS, as
ProConnect issues them); the embedded stack uses random development tokens, one per role, that
``make run`` writes to ``DATA_DIR/dev-tokens.json``, and development JWTs that the console's
development sign-in mints for a chosen name and role (signed with ``DATA_DIR/dev-signing-key``,
see :func:`mint_dev_token`). Either way an endpoint only declares the roles it accepts with
:func:`require_roles`.
"""

import asyncio
import hashlib
import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
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
        return user_of(claims)

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


@dataclass(frozen=True)
class VerificationKey:
    """A public key of the identity provider, with the algorithm its JWK declares (if any)."""

    key: Any
    algorithm: str | None = None


SigningKeyFor = Callable[[str], Any]
"""Token → the key that signed it: a :class:`VerificationKey` (from the JWKS) or a bare public
key (tests)."""

ASYMMETRIC_ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
"""What a provider signs with. Never ``none`` nor HS*: an HMAC "verified" with a public key
anyone can download is a forgery anyone can make."""
DEFAULT_LEEWAY_SECONDS: Final = 30
"""Clock skew tolerated on ``exp``, ``nbf`` and ``iat`` between the provider and us."""
DEFAULT_FETCH_TIMEOUT_SECONDS: Final = 3.0
"""JWKS and userinfo requests: a provider that hangs must not hold every request."""
USERINFO_CACHE_SECONDS: Final = 60.0
USERINFO_CACHE_SIZE: Final = 1024


class VerifierUnavailable(Exception):
    """The identity provider (its JWKS or userinfo endpoint) does not answer: the token can be
    neither accepted nor refused now (a 503 with ``Retry-After``, not a 401 that signs out)."""


def _key_matches(key: Any, algorithm: str) -> bool:
    if algorithm[:2] in ("RS", "PS"):
        return isinstance(key, rsa.RSAPublicKey)
    return isinstance(key, ec.EllipticCurvePublicKey)


def jwks_signing_keys(
    jwks_url: str, *, timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS
) -> SigningKeyFor:
    """Keys from the provider's JWKS, by the token's ``kid`` (or its only key for a token
    without one), cached an hour (fetched again for an unknown ``kid``: the provider rotated
    its keys)."""
    client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=timeout_seconds)

    def signing_key_for(token: str) -> VerificationKey:
        if jwt.get_unverified_header(token).get("kid") is None:
            # No kid (as the test provider's ID tokens): only a JWKS of one key says which.
            keys = client.get_signing_keys()
            if len(keys) != 1:
                raise jwt.PyJWKClientError("a token without kid and several keys")
            found = keys[0]
        else:
            found = client.get_signing_key_from_jwt(token)
        # PyJWK fills in RS256 for an RSA key without "alg": only a declared one binds.
        return VerificationKey(found.key, found._jwk_data.get("alg"))

    return signing_key_for


Userinfo = Callable[[str], Awaitable[Mapping[str, Any]]]
"""Opaque access token → the claims the provider's userinfo endpoint answers for it."""


class UserinfoLookup:
    """Opaque access tokens (as ProConnect's and the test provider's): the provider's userinfo
    endpoint says whose they are, in JSON or, as ProConnect, in a JWT signed by the provider
    (``application/jwt``, checked by ``signed``). Answers are kept a minute, by the token's
    hash, so a page that calls the API several times costs the provider one request."""

    def __init__(
        self,
        url: str,
        *,
        signed: Userinfo | None = None,
        timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS,
    ):
        self.url = url
        self.signed = signed
        self.timeout_seconds = timeout_seconds
        self._cache: dict[str, tuple[float, Mapping[str, Any]]] = {}

    async def __call__(self, token: str) -> Mapping[str, Any]:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                answer = await client.get(self.url, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise VerifierUnavailable(f"userinfo: {type(error).__name__}") from error
        if answer.status_code in (400, 401, 403):
            raise InvalidToken(f"userinfo answered {answer.status_code}")
        if answer.status_code != 200:
            raise VerifierUnavailable(f"userinfo answered {answer.status_code}")
        if answer.headers.get("content-type", "").startswith("application/jwt"):
            if self.signed is None:
                raise InvalidToken("a signed userinfo answer and no key to check it")
            claims: Any = await self.signed(answer.text.strip())
        else:
            try:
                claims = answer.json()
            except ValueError as error:
                raise InvalidToken("userinfo did not answer JSON") from error
        if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
            raise InvalidToken("userinfo answered no subject")
        if len(self._cache) >= USERINFO_CACHE_SIZE:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= USERINFO_CACHE_SIZE:
                self._cache.clear()
        self._cache[digest] = (now + USERINFO_CACHE_SECONDS, claims)
        return claims


class OidcTokenVerifier:
    """Access tokens from the identity provider: signed JWTs (issuer, audience, expiry with a
    small leeway, signature by a JWKS key of the token's own, asymmetric, algorithm), or, when
    a userinfo endpoint is configured, opaque tokens that endpoint vouches for. Roles are read
    from a claim (one name or a list of names)."""

    ALGORITHMS = ASYMMETRIC_ALGORITHMS

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        signing_key_for: SigningKeyFor,
        roles_claim: str = "roles",
        leeway_seconds: float = DEFAULT_LEEWAY_SECONDS,
        userinfo: Userinfo | None = None,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.signing_key_for = signing_key_for
        self.roles_claim = roles_claim
        self.leeway_seconds = leeway_seconds
        self.userinfo = userinfo

    @classmethod
    def from_jwks_url(
        cls,
        *,
        issuer: str,
        audience: str,
        jwks_url: str,
        roles_claim: str = "roles",
        timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS,
        leeway_seconds: float = DEFAULT_LEEWAY_SECONDS,
        userinfo_url: str | None = None,
    ) -> "OidcTokenVerifier":
        verifier = cls(
            issuer=issuer,
            audience=audience,
            signing_key_for=jwks_signing_keys(jwks_url, timeout_seconds=timeout_seconds),
            roles_claim=roles_claim,
            leeway_seconds=leeway_seconds,
        )
        if userinfo_url:
            verifier.userinfo = UserinfoLookup(
                userinfo_url, signed=verifier.signed_userinfo, timeout_seconds=timeout_seconds
            )
        return verifier

    async def verify(self, token: str) -> StaffUser:
        if token.count(".") != 2 and self.userinfo is not None:
            claims = await self.userinfo(token)
        else:
            claims = await self.verified_claims(token)
        return user_of(claims, self.roles_claim)

    async def signed_userinfo(self, token: str) -> Mapping[str, Any]:
        """A userinfo answer in a JWT: signed by the provider for our audience, with no expiry
        of its own required (it was just fetched)."""
        return await self.verified_claims(token, required=("iss", "aud", "sub"))

    async def verified_claims(
        self, token: str, *, required: tuple[str, ...] = ("exp", "iss", "aud", "sub")
    ) -> Mapping[str, Any]:
        """The claims of a JWT signed by the provider for our audience (InvalidToken if not;
        VerifierUnavailable if the provider's keys cannot be fetched)."""
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            if algorithm not in self.ALGORITHMS:
                raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
            # The JWKS fetch (cached) is blocking I/O: keep it off the event loop.
            found = await asyncio.to_thread(self.signing_key_for, token)
            key, declared = (
                (found.key, found.algorithm)
                if isinstance(found, VerificationKey)
                else (found, None)
            )
            if (declared is not None and declared != algorithm) or not _key_matches(key, algorithm):
                raise InvalidToken(f"the key does not sign with {algorithm}")
            claims: Mapping[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": list(required)},
            )
        except jwt.PyJWKClientConnectionError as error:
            raise VerifierUnavailable(type(error).__name__) from error
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise InvalidToken(type(error).__name__) from error
        return claims


def user_of(claims: Mapping[str, Any], roles_claim: str = "roles") -> StaffUser:
    """The staff member a verified token's claims describe (InvalidToken if they are malformed)."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("no subject")
    return StaffUser(id=subject, roles=roles_of(claims.get(roles_claim)), name=display_name(claims))


def roles_of(raw_roles: Any) -> frozenset[StaffRole]:
    """The known roles in a claim holding one name or a list of names (unknown names are
    ignored: the provider may list other applications' roles). Anything else is a malformed
    token, refused as such (a 401, never a 500)."""
    if raw_roles is None:
        return frozenset()
    if isinstance(raw_roles, str):
        names: list[Any] = [raw_roles]
    elif isinstance(raw_roles, list):
        names = raw_roles
    else:
        raise InvalidToken(f"the roles claim is a {type(raw_roles).__name__}")
    if not all(isinstance(name, str) for name in names):
        raise InvalidToken("the roles claim holds something other than names")
    return frozenset(StaffRole(name) for name in names if name in StaffRole._value2member_map_)


def display_name(claims: Mapping[str, Any]) -> str:
    """ProConnect's ``given_name`` and ``usual_name``, else the standard ``name`` claim."""
    parts = [_text(claims.get(claim)) for claim in ("given_name", "usual_name")]
    joined = " ".join(part for part in parts if part)
    return joined or _text(claims.get("name"))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def token_verifier(settings: PlatformSettings) -> TokenVerifier:
    if settings.AUTH_MODE == AuthMode.OIDC:
        assert settings.OIDC_ISSUER and settings.OIDC_AUDIENCE and settings.OIDC_JWKS_URL
        return OidcTokenVerifier.from_jwks_url(
            issuer=settings.OIDC_ISSUER,
            audience=settings.OIDC_AUDIENCE,
            jwks_url=settings.OIDC_JWKS_URL,
            roles_claim=settings.OIDC_ROLES_CLAIM,
            timeout_seconds=settings.OIDC_FETCH_TIMEOUT_SECONDS,
            leeway_seconds=settings.OIDC_CLOCK_SKEW_SECONDS,
            userinfo_url=settings.OIDC_USERINFO_URL,
        )
    return DevTokenVerifier(settings.dev_tokens_file)


VERIFIER_RETRY_AFTER_SECONDS: Final = 5


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="eig"'})


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No valid bearer token"},
    403: {"model": ErrorResponse, "description": "Role not allowed"},
    503: {
        "model": ErrorResponse,
        "description": "The identity provider's keys cannot be fetched now (see Retry-After)",
    },
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
        except VerifierUnavailable:
            raise ApiError(
                503,
                "Fournisseur d’identité injoignable, réessayez / "
                "Identity provider unreachable, try again.",
                headers={"Retry-After": str(VERIFIER_RETRY_AFTER_SECONDS)},
            ) from None
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


BEARER_SCHEME = "staffBearer"


def document_bearer_auth(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare in an OpenAPI document the bearer token of every operation that can answer 401
    (the staff routes): clients, and fuzzers checking that auth is not ignored, know it."""
    operations = [
        operation
        for path_item in schema.get("paths", {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict) and "401" in operation.get("responses", {})
    ]
    if not operations:
        return schema
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[BEARER_SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A staff token: the identity provider's JWT (AUTH_MODE=oidc), or a "
        "development token from DATA_DIR/dev-tokens.json",
    }
    for operation in operations:
        operation.setdefault("security", [{BEARER_SCHEME: []}])
    return schema
