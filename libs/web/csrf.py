"""CSRF protection of the HTML forms: a signed double-submit token plus the browser's own
word on where a request comes from.

A browser gets a random token in a cookie (signed with the service's key, ``SameSite=Lax``,
``HttpOnly``) and the same token in a hidden field of every form. A state-changing request
to a page route passes only when

* the browser does not say it comes from another site (``Sec-Fetch-Site``), its ``Origin``,
  if sent, is this host, and
* the submitted token (form field, or header for scripts) equals the cookie's and is signed.

A forged cross-site form has neither the cookie (``SameSite``) nor the token (another origin
cannot read it), and modern browsers flag it anyway. The JSON APIs are not page routes: they
are untouched, and programs keep using them as before (docs/adr/0011).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE: Final = "eig_csrf"
"""The applicant pages' cookie (intake and contracts share its key, ADR 19). A browser keeps
cookies per host, not per port: a service with another key names its own cookie."""
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FOREIGN_FETCH_SITES: Final = frozenset({"cross-site", "same-site"})
_KEY_LABEL: Final = b"eig-web-csrf-v1"


class CsrfRejected(Exception):
    """A state-changing page request without proof that it comes from our own form."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CsrfTokens:
    """Issues and checks the tokens; ``secret`` is the service's secret (see :meth:`derived`)."""

    key: bytes
    cookie: str = CSRF_COOKIE
    """The cookie's name: one per key, or two services on one host overwrite each other's."""

    @classmethod
    def derived(cls, secret: str, *, cookie: str = CSRF_COOKIE) -> "CsrfTokens":
        """A key of its own, derived from a secret the service already has, so that no token
        of one purpose (e.g. dossier links) can pass for another."""
        return cls(hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest(), cookie)

    def new(self) -> str:
        nonce = secrets.token_urlsafe(24)
        return f"{nonce}.{self._signature(nonce)}"

    def is_valid(self, token: str | None) -> bool:
        if not token or token.count(".") != 1:
            return False
        nonce, signature = token.split(".")
        return hmac.compare_digest(signature, self._signature(nonce))

    def current(self, request: Request) -> str | None:
        """The browser's valid token from its cookie, if it has one."""
        token = request.cookies.get(self.cookie)
        return token if self.is_valid(token) else None

    def set_cookie(self, response: Response, token: str, *, secure: bool) -> None:
        # A session cookie: it goes when the browser closes, and a form page sets a new one.
        response.set_cookie(self.cookie, token, httponly=True, samesite="lax", secure=secure)

    def _signature(self, nonce: str) -> str:
        return hmac.new(self.key, nonce.encode(), hashlib.sha256).hexdigest()[:32]


async def check_request(request: Request, tokens: CsrfTokens) -> None:
    """Raise :class:`CsrfRejected` unless a state-changing request is from our own page."""
    if request.method in SAFE_METHODS:
        return
    check_origin(request)
    cookie = tokens.current(request)
    if cookie is None:
        raise CsrfRejected("no valid CSRF cookie (cookies blocked, or the page is too old)")
    submitted = request.headers.get(CSRF_HEADER)
    if submitted is None and is_form_post(request):
        value = (await request.form()).get(CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if submitted is None or not hmac.compare_digest(submitted, cookie):
        raise CsrfRejected(f"missing or wrong {CSRF_FIELD}")


def check_origin(request: Request) -> None:
    """Raise :class:`CsrfRejected` when the browser says the request comes from another site.

    Programs send neither ``Sec-Fetch-Site`` nor ``Origin``, so a route that also serves them
    (e.g. a private link's action, JSON or form) can refuse every cross-site request with it
    and ask the token of form posts alone (:func:`check_request`)."""
    fetch_site = request.headers.get("sec-fetch-site", "").lower()
    if fetch_site in FOREIGN_FETCH_SITES:
        raise CsrfRejected(f"request sent from another site (Sec-Fetch-Site: {fetch_site})")
    origin = request.headers.get("origin")
    if origin == "null" and fetch_site == "same-origin":
        # A page served with Referrer-Policy: no-referrer (the private pages) makes the
        # browser send "Origin: null" with its own forms; its Sec-Fetch-Site, which no page
        # can forge, still says where the request comes from.
        return
    if origin is not None and not _is_own_origin(origin, request.headers.get("host", "")):
        raise CsrfRejected("request sent from another origin (Origin header)")


def _is_own_origin(origin: str, host: str) -> bool:
    """Same host and port as the request's Host; the scheme is not compared, since a TLS
    proxy in front may hide it, and an origin on the same host:port is ours either way."""
    if origin == "null":
        return False
    return bool(host) and urlsplit(origin).netloc.lower() == host.lower()


def is_form_post(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
