"""Headers every HTML response carries: a Content-Security-Policy without inline scripts or
styles (DSFR needs neither: its JS only sets styles through the CSSOM), no framing, no MIME
sniffing. Private pages add their own no-store and no-referrer (libs.private_pages), which
are kept."""

from collections.abc import Iterable, Mapping
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",  # DSFR's CSS draws some marks as data: SVG
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    )
)

PAGE_HEADERS: Final[Mapping[str, str]] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
"""Set on HTML responses unless the response already has its own value (e.g. a private page's
``Referrer-Policy: no-referrer``)."""


def add_page_headers(headers: MutableHeaders) -> None:
    for name, value in PAGE_HEADERS.items():
        headers.setdefault(name, value)
    headers["X-Content-Type-Options"] = "nosniff"


class SecurityHeadersMiddleware:
    """:data:`PAGE_HEADERS` on every ``text/html`` response, ``nosniff`` on every response.

    ``exempt_paths`` keep no CSP: FastAPI's interactive API documentation (``/docs``) loads
    its own inline script.
    """

    def __init__(self, app: ASGIApp, exempt_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.exempt_paths = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exempt = scope.get("path", "") in self.exempt_paths

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("text/html") and not exempt:
                    add_page_headers(headers)
                else:
                    headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_with_headers)
