"""A page's form checked by the API's own model: pydantic's errors as one message per field,
French and English, for the form's error states and its error summary.

The rules stay in the model (the JSON API and the page accept exactly the same input); only
the words differ, since a person reads these where a program reads ``errors[].message``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from libs.wording import Label

REQUIRED = Label("Ce champ est obligatoire.", "This field is required.")

_MESSAGES: Mapping[str, Label] = {
    "missing": REQUIRED,
    "string_too_short": REQUIRED,
    "int_parsing": Label("Indiquez un nombre entier.", "Enter a whole number."),
    "int_type": Label("Indiquez un nombre entier.", "Enter a whole number."),
    "int_from_float": Label("Indiquez un nombre entier.", "Enter a whole number."),
    "enum": Label("Choisissez une des options proposées.", "Choose one of the options offered."),
    "literal_error": Label(
        "Choisissez une des options proposées.", "Choose one of the options offered."
    ),
    "url_parsing": Label(
        "Indiquez une adresse web complète, commençant par https://.",
        "Enter a full web address, starting with https://.",
    ),
    "url_scheme": Label(
        "Indiquez une adresse web commençant par https:// ou http://.",
        "Enter a web address starting with https:// or http://.",
    ),
    "control_character": Label(
        "Le texte contient des caractères invisibles non autorisés : copiez-le de nouveau "
        "depuis un éditeur de texte simple.",
        "The text holds invisible characters that are not allowed: copy it again from a plain "
        "text editor.",
    ),
}


def _message(error: ErrorDetails, messages: Mapping[str, Label]) -> Label:
    kind = error["type"]
    if kind in messages:
        return messages[kind]
    context: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "string_too_long":
        limit = context.get("max_length")
        return Label(
            f"Ce texte dépasse la limite de {limit} caractères.",
            f"This text is longer than the {limit} characters allowed.",
        )
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = context.get("ge", context.get("le", context.get("gt", context.get("lt"))))
        word = (
            Label("au moins", "at least")
            if kind.startswith("greater")
            else Label("au plus", "at most")
        )
        return Label(f"Indiquez {word.fr} {bound}.", f"Enter {word.en} {bound}.")
    if kind == "too_short":
        return Label("Choisissez au moins une option.", "Choose at least one option.")
    if kind == "too_long":
        limit = context.get("max_length")
        return Label(f"{limit} éléments au maximum.", f"{limit} items at most.")
    if kind == "value_error" and "email" in str(error.get("msg", "")).lower():
        return Label(
            "Indiquez une adresse électronique valide, par exemple nom@exemple.fr.",
            "Enter a valid e-mail address, for example name@example.fr.",
        )
    known = _MESSAGES.get(kind)
    if known is not None:
        return known
    # A rule without its own words yet: pydantic's message is better than none.
    return Label(error["msg"], error["msg"])


@dataclass(frozen=True)
class FormErrors:
    """The first error of each field, by field name, in the form's order."""

    by_field: dict[str, Label]

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def summary(self, labels: Mapping[str, Label]) -> list[tuple[str, Label]]:
        """(field, "Label : message") pairs for the error summary, each linking to its field."""
        return [
            (name, Label(f"{labels[name].fr} : {message.fr}", f"{labels[name].en}: {message.en}"))
            for name, message in self.by_field.items()
        ]


def form_errors(
    error: ValidationError, field_order: Iterable[str], messages: Mapping[str, Label] | None = None
) -> FormErrors:
    """One message per field named by ``error`` (its first), ordered as ``field_order``; an
    error on an item of a list (``links.2``) is the list's, its position said in the text.
    ``messages``: the words of a model's own error types (its ``PydanticCustomError``)."""
    found: dict[str, Label] = {}
    for detail in error.errors():
        location = detail["loc"]
        name = str(location[0]) if location else ""
        if name in found:
            continue
        message = _message(detail, messages or {})
        if len(location) > 1 and isinstance(location[1], int):
            line = location[1] + 1
            message = Label(f"Ligne {line} : {message.fr}", f"Line {line}: {message.en}")
        found[name] = message
    order = list(field_order)
    ranked = sorted(found, key=lambda name: order.index(name) if name in order else len(order))
    return FormErrors({name: found[name] for name in ranked})
