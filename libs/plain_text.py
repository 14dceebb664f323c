"""Text people send: line breaks and tabs, but no other control character.

NUL cannot even be stored by PostgreSQL (a row holding it is refused, and a consumer writing it
retries forever), and the other C0 characters and DEL only ever come from broken or hostile
clients. Every model that takes text from outside refuses them: the intake forms, the action
bodies of the workflows.
"""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls except tab (\\x09), line feed (\\x0a) and carriage return (\\x0d); DEL."""
ALLOWED_CHARACTER = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]"
TEXT_PATTERN = f"^{ALLOWED_CHARACTER}*$"
"""The same rule for OpenAPI documents (ECMA and Python regular expressions alike), so that
clients and fuzzers know what is refused."""


def refuse_control_characters(value: str) -> str:
    """``value`` unchanged; a ``control_character`` validation error if it holds one."""
    if CONTROL_CHARACTERS.search(value):
        raise PydanticCustomError("control_character", "Text must not contain control characters")
    return value


class DocumentedTextPattern:
    """Adds :data:`TEXT_PATTERN` to a text field's JSON schema (the validator enforces it)."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.setdefault("pattern", TEXT_PATTERN)
        return schema


PlainText = Annotated[str, AfterValidator(refuse_control_characters), DocumentedTextPattern()]
"""Text without control characters; bound its length where it is used, e.g.
``Annotated[PlainText, StringConstraints(max_length=5000)]``."""


def without_nul(data: Any) -> Any:
    """``data`` (JSON-like: dicts, lists, strings) with every NUL character removed from its
    strings, for what was accepted before the bounds (events already on a topic)."""
    if isinstance(data, str):
        return data.replace("\x00", "")
    if isinstance(data, dict):
        return {without_nul(key): without_nul(value) for key, value in data.items()}
    if isinstance(data, list):
        return [without_nul(item) for item in data]
    return data
