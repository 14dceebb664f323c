"""The text policy of short single-line fields (names, administration, titles): plain words.

The programme's sender e-mails every applicant's name back to the address typed in the form,
so a name field holding a link or markup would let anyone make the programme send spam or a
phishing link ("Gagnez 1000€ https://…", issue 9). Short fields therefore refuse what a name
or a title never needs: web addresses (with or without a scheme, bare domains included),
e-mail addresses, markup and template syntax, and line breaks. Long texts (experience, goals)
keep them: a project may well cite its site. The API and the HTML forms share the schemas
that apply this policy, so both refuse with the same 422 naming the field.
"""

import re
from typing import Final

from pydantic_core import PydanticCustomError

SINGLE_LINE_FIELDS: Final = frozenset(
    {
        "first_name",
        "last_name",
        "administration_name",
        "project_title",
        "public_policy",
        "sponsor_name",
        "sponsor_role",
        "contact_name",
    }
)
"""Every short single-line field of the two application forms."""

_WEB_ADDRESS: Final = re.compile(
    r"""
    [a-z][a-z0-9+.-]*://          # any scheme: https://, ftp://, javascript://
    | \bwww\d?\.                  # www.example
    | \b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}(?:[/:?#]|\b(?![.'’-]))  # bare domain
    | \b(?:mailto|javascript|data):   # schemes written without slashes
    """,
    re.IGNORECASE | re.VERBOSE,
)
_MARKUP: Final = re.compile(r"[<>]|\{\{|\{%|\[[^\]]*\]\(|&#?\w+;")
_LINE_BREAK: Final = re.compile(r"[\r\n\u2028\u2029\x85]")


def check_single_line_text(value: str) -> str:
    """``value`` if it is plain single-line text; otherwise a validation error that names
    what was found (the field is named by the validation layer)."""
    if _LINE_BREAK.search(value):
        raise PydanticCustomError("line_break", "This field must fit on one line")
    if "@" in value:
        raise PydanticCustomError(
            "email_not_allowed", "No e-mail address here: it has its own field"
        )
    if _WEB_ADDRESS.search(value):
        raise PydanticCustomError(
            "url_not_allowed", "No web address here: names and titles are plain text"
        )
    if _MARKUP.search(value):
        raise PydanticCustomError(
            "markup_not_allowed", "No markup here (<, >, {{, [text](link)): plain text only"
        )
    return value
