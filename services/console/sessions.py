"""The console's session: an encrypted, authenticated cookie holding the signed-in user's
token and who they are, re-issued on every page so that it expires after an idle period.

Encrypted (Fernet) rather than only signed, since it carries the bearer token the staff APIs
accept; ``HttpOnly`` so no script reads it, ``SameSite=Lax`` so no other site posts with it,
``Secure`` in production. Nothing is kept on the server: a restart signs no one out.
"""

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.auth import StaffRole

SESSION_COOKIE: Final = "eig_console"
PENDING_COOKIE: Final = "eig_console_signin"
"""The OIDC sign-in's state, nonce and PKCE verifier between the redirect and the callback."""
PENDING_SECONDS: Final = 600
"""A sign-in at the provider takes minutes at most: an older pending cookie is refused."""
SESSION_STATE_KEY: Final = "console_session"
_KEY_LABEL: Final = b"eig-console-session-v1"
MAX_COOKIE_VALUE: Final = 3800
"""Below the 4096 bytes browsers keep per cookie, its name and attributes included."""


@dataclass(frozen=True)
class ConsoleSession:
    token: str
    """The user's own bearer token for the staff APIs."""
    subject: str
    name: str
    roles: tuple[str, ...]
    id_token: str = ""
    """The provider's ID token (``AUTH_MODE=oidc``): the hint of its end-session request."""

    @property
    def role_set(self) -> frozenset[StaffRole]:
        return frozenset(StaffRole(role) for role in self.roles)

    def has_any(self, *roles: StaffRole) -> bool:
        held = self.role_set
        return StaffRole.ADMIN in held or bool(held & set(roles))

    @property
    def is_admin(self) -> bool:
        return StaffRole.ADMIN in self.role_set


@dataclass(frozen=True)
class SessionCookies:
    """Reads and writes the console's cookies; ``idle_seconds`` bounds a session's idle time."""

    fernet: Fernet
    idle_seconds: int
    secure: bool

    @classmethod
    def derived(cls, secret: str, *, idle_seconds: int, secure: bool) -> "SessionCookies":
        key = hashlib.sha256(_KEY_LABEL + secret.encode()).digest()
        return cls(Fernet(base64.urlsafe_b64encode(key)), idle_seconds, secure)

    def read(self, connection: HTTPConnection) -> ConsoleSession | None:
        data = self._open(connection.cookies.get(SESSION_COOKIE))
        if data is None:
            return None
        try:
            return ConsoleSession(
                token=str(data["token"]),
                subject=str(data["subject"]),
                name=str(data["name"]),
                roles=tuple(str(role) for role in data["roles"]),
                id_token=str(data.get("id_token") or ""),
            )
        except (KeyError, TypeError):
            return None

    def write(self, response: Response, session: ConsoleSession) -> None:
        data = asdict(session)
        if len(self._seal(data)) > MAX_COOKIE_VALUE and session.id_token:
            # Browsers drop a cookie past 4 kB: the ID token is only the sign-out's hint.
            data["id_token"] = ""
        self._set(response, SESSION_COOKIE, data)

    def clear(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=self.secure)

    def read_pending(self, connection: HTTPConnection) -> Mapping[str, Any] | None:
        return self._open(
            connection.cookies.get(PENDING_COOKIE), ttl=min(self.idle_seconds, PENDING_SECONDS)
        )

    def write_pending(self, response: Response, data: Mapping[str, Any]) -> None:
        self._set(response, PENDING_COOKIE, data, max_age=min(self.idle_seconds, PENDING_SECONDS))

    def clear_pending(self, response: Response) -> None:
        response.delete_cookie(PENDING_COOKIE, httponly=True, samesite="lax", secure=self.secure)

    def header_value(self, session: ConsoleSession) -> str:
        """A ``Set-Cookie`` value re-issuing ``session`` (for the refresh middleware)."""
        response = Response()
        self.write(response, session)
        return response.headers["set-cookie"]

    def _open(self, cookie: str | None, *, ttl: int | None = None) -> dict[str, Any] | None:
        if not cookie:
            return None
        try:
            # ttl: a cookie older than the idle period is refused, whatever its Max-Age said.
            data = json.loads(self.fernet.decrypt(cookie.encode(), ttl=ttl or self.idle_seconds))
        except (InvalidToken, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _seal(self, data: Mapping[str, Any]) -> str:
        return self.fernet.encrypt(json.dumps(dict(data)).encode()).decode()

    def _set(
        self, response: Response, name: str, data: Mapping[str, Any], *, max_age: int | None = None
    ) -> None:
        response.set_cookie(
            name,
            self._seal(data),
            max_age=max_age or self.idle_seconds,
            httponly=True,
            samesite="lax",
            secure=self.secure,
            path="/",
        )


class SessionRefresh:
    """Re-issues the session cookie of a signed-in page (its idle clock starts again), unless
    the page itself set or cleared it (sign-in, sign-out)."""

    def __init__(self, app: ASGIApp, *, cookies: SessionCookies) -> None:
        self.app = app
        self.cookies = cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def refreshing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                session = scope.get("state", {}).get(SESSION_STATE_KEY)
                headers = list(message.get("headers", []))
                sets_cookie = any(
                    name == b"set-cookie" and value.startswith(SESSION_COOKIE.encode() + b"=")
                    for name, value in headers
                )
                if isinstance(session, ConsoleSession) and not sets_cookie:
                    headers.append((b"set-cookie", self.cookies.header_value(session).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, refreshing_send)
