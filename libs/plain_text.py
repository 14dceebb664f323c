"""Text people send: line breaks and tabs, but no other control character.

NUL cannot even be stored by PostgreSQL (a row holding it is refused, and a consumer writing it
retries forever), and the other C0 characters and DEL only ever come from broken or hostile
clients. Every model that takes text from outside refuses them: the intake forms, the action
bodies of the workflows.
"""

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls except tab (\\x09), line feed (\\x0a) and carriage return (\\x0d); DEL."""


def refuse_control_characters(value: str) -> str:
    """``value`` unchanged; a ``control_character`` validation error if it holds one."""
    if CONTROL_CHARACTERS.search(value):
        raise PydanticCustomError("control_character", "Text must not contain control characters")
    return value


PlainText = Annotated[str, AfterValidator(refuse_control_characters)]
"""Text without control characters; bound its length where it is used, e.g.
``Annotated[PlainText, StringConstraints(max_length=5000)]``."""
