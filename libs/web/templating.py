"""The Jinja2 environment of a service's pages: its own templates over the shared ones.

Shared templates live under ``web/`` (``web/layout.html``, ``web/forms.html``,
``web/components.html``, ``web/error.html``), so a page says where what it uses comes from:
``{% extends "web/layout.html" %}``, ``{% import "web/forms.html" as forms with context %}``.
Texts are written French first: ``{{ t("Candidater", "Apply") }}`` shows the page's language.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from libs.messages.common import Language
from libs.web.assets import STATIC_URL
from libs.wording import date_and_time, integer, long_date

SHARED_TEMPLATES: Final = Path(__file__).resolve().parent / "templates"


@pass_context
def translate(context: Context, french: str, english: str) -> str:
    """The text in the page's language (``lang`` in the context); French when unknown."""
    return english if context.get("lang") == Language.EN else french


def static_url(path: str) -> str:
    return f"{STATIC_URL}/{path.lstrip('/')}"


@pass_context
def _date_and_time(context: Context, moment: Any) -> str:
    return date_and_time(context.get("lang") or Language.FR, moment)


@pass_context
def _long_date(context: Context, day: Any) -> str:
    return long_date(context.get("lang") or Language.FR, day)


@pass_context
def _integer(context: Context, value: int) -> str:
    return integer(context.get("lang") or Language.FR, value)


def create_environment(template_dirs: Iterable[Path] = ()) -> Environment:
    """Templates from ``template_dirs`` (the service's, searched first), then the shared ones.

    Undefined variables raise, so a template's typo fails its test instead of rendering blank.
    """
    environment = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader([str(path) for path in template_dirs]),
                FileSystemLoader(SHARED_TEMPLATES),
            ]
        ),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(t=translate, static=static_url)
    environment.filters.update(date_and_time=_date_and_time, long_date=_long_date, integer=_integer)
    return environment
