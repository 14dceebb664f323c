"""Which language a page is shown in: French unless the visitor chose English.

The choice travels in the URL (``?lang=en``, so the switch is a plain link that works
without JavaScript and can be bookmarked) and is remembered in a cookie for the next pages.
"""

from typing import Final
from urllib.parse import urlencode

from starlette.requests import HTTPConnection
from starlette.responses import Response

from libs.messages.common import Language

LANGUAGE_PARAM: Final = "lang"
LANGUAGE_COOKIE: Final = "eig_lang"
LANGUAGE_COOKIE_MAX_AGE: Final = 365 * 24 * 3600
DEFAULT_LANGUAGE: Final = Language.FR


def _parse(value: str | None) -> Language | None:
    try:
        return Language((value or "").strip().lower())
    except ValueError:
        return None


def requested_language(connection: HTTPConnection) -> Language | None:
    """The language named in the URL, if any (an unknown value is ignored)."""
    return _parse(connection.query_params.get(LANGUAGE_PARAM))


def page_language(connection: HTTPConnection) -> Language:
    """The URL's choice, else the remembered one, else French."""
    return (
        requested_language(connection)
        or _parse(connection.cookies.get(LANGUAGE_COOKIE))
        or DEFAULT_LANGUAGE
    )


def remember_language(connection: HTTPConnection, response: Response, *, secure: bool) -> None:
    """Keep the URL's choice for the next pages (no cookie until a choice is made)."""
    chosen = requested_language(connection)
    if chosen is None or _parse(connection.cookies.get(LANGUAGE_COOKIE)) == chosen:
        return
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen.value,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def switch_url(connection: HTTPConnection, language: Language) -> str:
    """This page in ``language``: same path and query (a private link keeps its token)."""
    query = [(k, v) for k, v in connection.query_params.multi_items() if k != LANGUAGE_PARAM]
    query.append((LANGUAGE_PARAM, language.value))
    return f"{connection.url.path}?{urlencode(query)}"
