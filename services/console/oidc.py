"""The console's OpenID Connect sign-in (``AUTH_MODE=oidc``): the authorization code flow with
PKCE (S256), state and nonce against a ProConnect-compatible provider found by its discovery
document.

:meth:`OidcSignIn.start` gives the provider's authorization URL and what the browser keeps
until it comes back (:class:`PendingSignIn`, in an encrypted cookie); :meth:`OidcSignIn.finish`
checks the state, exchanges the code (with the PKCE verifier), checks the ID token (signature
with the provider's JWKS and the token's own asymmetric algorithm, issuer, audience, expiry with
a small leeway, nonce, used once) and answers who signed in, with their roles from the
configured claim. The console then calls the staff APIs with the user's own access token.
"""

import base64
import hashlib
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final
from urllib.parse import urlencode

import httpx

from libs.auth import (
    InvalidToken,
    OidcTokenVerifier,
    StaffUser,
    UserinfoLookup,
    VerifierUnavailable,
    jwks_signing_keys,
    user_of,
)

NONCE_MEMORY_SECONDS: Final = 3600
"""How long a used nonce is remembered: longer than any ID token's life."""


class SignInFailed(Exception):
    """The provider's answer cannot sign anyone in (wrong state, replayed or wrong nonce, a
    refused code, an invalid ID token): the page says so and offers to try again."""


class ProviderUnavailable(Exception):
    """The provider (discovery, token or JWKS endpoint) does not answer now."""


@dataclass(frozen=True)
class ProviderMetadata:
    """What the discovery document says (only what the console uses)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> "ProviderMetadata":
        def url(name: str) -> str | None:
            value = document.get(name)
            return value if isinstance(value, str) and value else None

        required = {
            name: url(name)
            for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        }
        missing = sorted(name for name, value in required.items() if value is None)
        if missing:
            raise ProviderUnavailable(f"discovery document without {', '.join(missing)}")
        return cls(
            issuer=str(required["issuer"]),
            authorization_endpoint=str(required["authorization_endpoint"]),
            token_endpoint=str(required["token_endpoint"]),
            jwks_uri=str(required["jwks_uri"]),
            userinfo_endpoint=url("userinfo_endpoint"),
            end_session_endpoint=url("end_session_endpoint"),
        )


@dataclass(frozen=True)
class PendingSignIn:
    """Kept by the browser (encrypted) between the redirect to the provider and its return."""

    state: str
    nonce: str
    code_verifier: str
    next_path: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "PendingSignIn | None":
        if data is None:
            return None
        try:
            return cls(**{name: str(data[name]) for name in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            return None


@dataclass(frozen=True)
class SignedIn:
    user: StaffUser
    access_token: str
    id_token: str
    next_path: str


def code_challenge(verifier: str) -> str:
    """PKCE's S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcSignIn:
    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        scopes: str,
        roles_claim: str,
        discovery_url: str | None = None,
        timeout_seconds: float = 3.0,
        leeway_seconds: float = 30,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.scopes = scopes
        self.roles_claim = roles_claim
        self.discovery_url = discovery_url or f"{self.issuer}/.well-known/openid-configuration"
        self.timeout_seconds = timeout_seconds
        self.leeway_seconds = leeway_seconds
        self._metadata: ProviderMetadata | None = None
        self._id_tokens: OidcTokenVerifier | None = None
        self._used_nonces: dict[str, float] = {}

    async def metadata(self) -> ProviderMetadata:
        """The discovery document, fetched once (again after a failure)."""
        if self._metadata is None:
            document = await self._get_json(self.discovery_url)
            metadata = ProviderMetadata.from_document(document)
            if metadata.issuer.rstrip("/") != self.issuer:
                # OIDC Discovery §4.3: a document for another issuer is not this provider's.
                raise ProviderUnavailable(f"discovery names another issuer: {metadata.issuer}")
            self._id_tokens = OidcTokenVerifier(
                issuer=metadata.issuer,
                audience=self.client_id,
                signing_key_for=jwks_signing_keys(
                    metadata.jwks_uri, timeout_seconds=self.timeout_seconds
                ),
                roles_claim=self.roles_claim,
                leeway_seconds=self.leeway_seconds,
            )
            self._metadata = metadata
        return self._metadata

    async def start(self, next_path: str) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL, and what to keep until the browser returns."""
        metadata = await self.metadata()
        pending = PendingSignIn(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),  # 86 characters, within RFC 7636's 43-128
            next_path=next_path,
        )
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": code_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
        }
        return f"{metadata.authorization_endpoint}?{urlencode(query)}", pending

    async def finish(self, params: Mapping[str, str], pending: PendingSignIn | None) -> SignedIn:
        """Who the provider's answer (the callback's query) signs in; :class:`SignInFailed` if
        it signs no one in."""
        if pending is None:
            raise SignInFailed("no sign-in was started in this browser, or it expired")
        if "error" in params:
            raise SignInFailed(f"the provider answered {params['error']}")
        if not secrets.compare_digest(params.get("state", "").encode(), pending.state.encode()):
            raise SignInFailed("wrong state")
        code = params.get("code", "")
        if not code:
            raise SignInFailed("no authorization code")
        metadata = await self.metadata()
        tokens = await self._exchange(metadata, code, pending)
        claims = await self._id_token_claims(tokens["id_token"], pending)
        if metadata.userinfo_endpoint and self.roles_claim not in claims:
            claims = {**await self._userinfo(metadata, tokens["access_token"], claims), **claims}
        try:
            user = user_of(claims, self.roles_claim)
        except InvalidToken as error:
            raise SignInFailed(str(error)) from error
        return SignedIn(user, tokens["access_token"], tokens["id_token"], pending.next_path)

    async def end_session_url(self, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """The provider's end-session URL (RP-initiated logout), if it has one."""
        try:
            metadata = await self.metadata()
        except ProviderUnavailable:
            return None
        if metadata.end_session_endpoint is None:
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{metadata.end_session_endpoint}?{urlencode(query)}"

    async def _exchange(
        self, metadata: ProviderMetadata, code: str, pending: PendingSignIn
    ) -> dict[str, str]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": pending.code_verifier,
            "client_id": self.client_id,
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret  # client_secret_post, as ProConnect
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                answer = await client.post(metadata.token_endpoint, data=form)
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"token endpoint: {type(error).__name__}") from error
        if answer.status_code >= 500:
            raise ProviderUnavailable(f"token endpoint answered {answer.status_code}")
        if answer.status_code != 200:
            raise SignInFailed(f"the provider refused the code ({answer.status_code})")
        try:
            body = answer.json()
        except ValueError as error:
            raise SignInFailed("the token endpoint did not answer JSON") from error
        tokens = {name: body.get(name) for name in ("access_token", "id_token")}
        if not all(isinstance(value, str) and value for value in tokens.values()):
            raise SignInFailed("the token endpoint gave no access token or no ID token")
        return {name: str(value) for name, value in tokens.items()}

    async def _id_token_claims(self, id_token: str, pending: PendingSignIn) -> Mapping[str, Any]:
        assert self._id_tokens is not None  # set with the metadata
        try:
            claims = await self._id_tokens.verified_claims(id_token)
        except InvalidToken as error:
            raise SignInFailed(f"invalid ID token ({error})") from error
        except VerifierUnavailable as error:
            raise ProviderUnavailable(str(error)) from error
        audiences = claims.get("aud")
        if (
            isinstance(audiences, list)
            and len(audiences) > 1
            and claims.get("azp") != (self.client_id)
        ):
            raise SignInFailed("ID token for several audiences without us as its party")
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not secrets.compare_digest(
            nonce.encode(), pending.nonce.encode()
        ):
            raise SignInFailed("wrong nonce")
        self._use_nonce(nonce)
        return claims

    def _use_nonce(self, nonce: str) -> None:
        """A nonce signs in once: an ID token replayed with its pending cookie is refused."""
        now = time.monotonic()
        self._used_nonces = {n: t for n, t in self._used_nonces.items() if t > now}
        if nonce in self._used_nonces:
            raise SignInFailed("replayed nonce")
        self._used_nonces[nonce] = now + NONCE_MEMORY_SECONDS

    async def _userinfo(
        self, metadata: ProviderMetadata, access_token: str, claims: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        """Claims the ID token lacks (the roles), from the userinfo endpoint (JSON, or a JWT
        signed by the provider as ProConnect's), for the same subject."""
        assert metadata.userinfo_endpoint is not None and self._id_tokens is not None
        lookup = UserinfoLookup(
            metadata.userinfo_endpoint,
            signed=self._id_tokens.signed_userinfo,
            timeout_seconds=self.timeout_seconds,
        )
        try:
            userinfo = await lookup(access_token)
        except InvalidToken as error:
            raise SignInFailed(f"userinfo refused the access token ({error})") from error
        except VerifierUnavailable as error:
            raise ProviderUnavailable(str(error)) from error
        if userinfo.get("sub") != claims.get("sub"):
            raise SignInFailed("userinfo names another subject than the ID token")
        return userinfo

    async def _get_json(self, url: str) -> Mapping[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                answer = await client.get(url)
            answer.raise_for_status()
            document = answer.json()
        except (httpx.HTTPError, ValueError) as error:
            raise ProviderUnavailable(f"{url}: {type(error).__name__}") from error
        if not isinstance(document, dict):
            raise ProviderUnavailable(f"{url}: not a JSON object")
        return document
