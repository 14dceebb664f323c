"""Error pages in the layout for browsers; programs keep the JSON error format.

:class:`HtmlErrorPages` turns any JSON error answer (4xx/5xx, whichever layer produced it:
routing, validation, the body limit, an :class:`~libs.api_errors.ApiError`) into a page when
the request prefers HTML, keeping the status and headers. Unhandled exceptions get
:func:`server_error_response`: a 500 with an error id to quote, logged with the traceback.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Final

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.api_errors import error_response
from libs.web.negotiation import prefers_html, wants_html
from libs.web.rendering import PageRenderer
from libs.web.security_headers import add_page_headers

logger = logging.getLogger(__name__)

ERROR_TEMPLATE: Final = "web/error.html"


@dataclass(frozen=True)
class ErrorText:
    title_fr: str
    title_en: str
    text_fr: str
    text_en: str


ERROR_TEXTS: Final[dict[int, ErrorText]] = {
    400: ErrorText(
        "Requête incorrecte",
        "Bad request",
        "Le service n’a pas pu lire ce que votre navigateur a envoyé.",
        "The service could not read what your browser sent.",
    ),
    403: ErrorText(
        "Accès refusé",
        "Access denied",
        "Vous n’avez pas accès à cette page, ou le lien utilisé n’est plus valable.",
        "You do not have access to this page, or the link you used is no longer valid.",
    ),
    404: ErrorText(
        "Page non trouvée",
        "Page not found",
        "La page que vous cherchez est introuvable. Si vous avez saisi l’adresse, vérifiez "
        "qu’elle est correcte ; si vous avez suivi un lien reçu par courriel, vérifiez qu’il "
        "a été copié en entier.",
        "The page you are looking for cannot be found. If you typed the address, check that "
        "it is correct; if you followed a link from an e-mail, check that it was copied whole.",
    ),
    405: ErrorText(
        "Action non permise",
        "Action not allowed",
        "Cette adresse n’accepte pas ce type de demande.",
        "This address does not accept this kind of request.",
    ),
    409: ErrorText(
        "Action impossible dans l’état actuel",
        "Action not possible now",
        "Cette action ne peut pas être faite dans l’état actuel du dossier.",
        "This action cannot be done in the current state of the dossier.",
    ),
    413: ErrorText(
        "Envoi trop volumineux",
        "Submission too large",
        "Ce que vous avez envoyé dépasse la taille maximale acceptée. Raccourcissez les textes "
        "les plus longs, puis envoyez de nouveau.",
        "What you sent is larger than the service accepts. Shorten the longest texts, then "
        "send again.",
    ),
    415: ErrorText(
        "Format d’envoi non pris en charge",
        "Unsupported format",
        "Le service n’accepte pas ce format d’envoi. Utilisez le formulaire de la page.",
        "The service does not accept this format. Please use the form on the page.",
    ),
    422: ErrorText(
        "Données invalides",
        "Invalid data",
        "Certaines données envoyées ne sont pas valides. Revenez à la page précédente pour "
        "les corriger.",
        "Some of the data sent is not valid. Go back to the previous page to correct it.",
    ),
    429: ErrorText(
        "Trop de demandes",
        "Too many requests",
        "Vous avez fait trop de demandes en peu de temps. Réessayez dans quelques instants.",
        "You made too many requests in a short time. Please try again in a few moments.",
    ),
    500: ErrorText(
        "Erreur inattendue",
        "Unexpected error",
        "Le service a rencontré une erreur. Réessayez dans quelques instants ; si le problème "
        "persiste, écrivez-nous en indiquant la référence ci-dessous.",
        "The service ran into an error. Please try again in a few moments; if the problem "
        "persists, write to us quoting the reference below.",
    ),
    503: ErrorText(
        "Service momentanément indisponible",
        "Service temporarily unavailable",
        "Le service ne peut pas répondre pour le moment. Réessayez dans quelques instants.",
        "The service cannot answer right now. Please try again in a few moments.",
    ),
}

CSRF_ERROR: Final = ErrorText(
    "Formulaire non accepté",
    "Form not accepted",
    "Pour votre sécurité, ce formulaire n’a pas été accepté : il a expiré, ou il a été envoyé "
    "depuis un autre site. Rouvrez le formulaire, puis envoyez-le de nouveau. Votre navigateur "
    "doit accepter les cookies de ce site.",
    "For your security, this form was not accepted: it has expired, or it was sent from "
    "another site. Open the form again, then send it again. Your browser must accept this "
    "site's cookies.",
)


def error_text(status_code: int) -> ErrorText:
    """The page's title and explanation for ``status_code`` (its class's when not listed)."""
    return ERROR_TEXTS.get(status_code) or ERROR_TEXTS[500 if status_code >= 500 else 400]


def render_error_page(
    renderer: PageRenderer,
    request: Request,
    status_code: int,
    *,
    text: ErrorText | None = None,
    error_id: str | None = None,
    retry_url: str | None = None,
) -> Response:
    return renderer.render(
        request,
        ERROR_TEMPLATE,
        {
            "status_code": status_code,
            "error": text or error_text(status_code),
            "error_id": error_id,
            "retry_url": retry_url,
        },
        status_code=status_code,
    )


def _error_id(body: bytes | bytearray) -> str | None:
    """The ``error_id`` of a JSON 500 (``libs.api_errors.ServerErrorResponse``), to show it."""
    try:
        value = json.loads(body).get("error_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


class HtmlErrorPages:
    """Replaces a JSON error answer by its page when the request prefers HTML."""

    def __init__(self, app: ASGIApp, renderer: PageRenderer) -> None:
        self.app = app
        self.renderer = renderer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not prefers_html(Headers(scope=scope).get("accept")):
            await self.app(scope, receive, send)
            return
        replaced: Message | None = None
        body = bytearray()

        async def send_page_for_errors(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                content_type = Headers(scope=message).get("content-type", "")
                if message["status"] >= 400 and content_type.startswith("application/json"):
                    replaced = message
                    return
            elif replaced is not None:
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._send_page(scope, receive, send, replaced, _error_id(body))
                return  # the JSON body is dropped (but for a 500's error id)
            await send(message)

        await self.app(scope, receive, send_page_for_errors)

    async def _send_page(
        self, scope: Scope, receive: Receive, send: Send, start: Message, error_id: str | None
    ) -> None:
        response = render_error_page(
            self.renderer, Request(scope, receive), start["status"], error_id=error_id
        )
        for name, value in start.get("headers", []):
            if name.lower() not in (b"content-type", b"content-length"):
                response.headers.append(name.decode("latin-1"), value.decode("latin-1"))
        await response(scope, receive, send)


def server_error_response(renderer: PageRenderer, request: Request, error: Exception) -> Response:
    """A 500 that names an error id, also written in the log with the traceback (the path is
    logged without its query, which may hold a private link's token)."""
    error_id = uuid.uuid4().hex[:12]
    logger.error(
        "Unhandled error %s on %s %s",
        error_id,
        request.method,
        request.url.path,
        exc_info=(type(error), error, error.__traceback__),
    )
    if wants_html(request):
        response = render_error_page(renderer, request, 500, error_id=error_id)
        # Answered outside the middleware stack: give the page its headers here.
        add_page_headers(response.headers)
        return response
    return error_response(
        500, f"Internal error. Quote this reference if you report it: {error_id}."
    )
