"""Bounds of the integers an HTTP API reads from a query or a path.

An unbounded ``int`` lets ``?promotion=259404711486726471680`` reach the database, which
cannot bind it (SQLite stops at 2**63-1, a PostgreSQL ``INTEGER`` column at 2**31-1) and fails
with a 500. Every integer parameter is therefore bounded by the column it is compared with, so
that FastAPI refuses it with a 422 naming the field.
"""

from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

MAX_COLUMN_INT = 2**31 - 1
"""The largest value of an ``INTEGER`` column on PostgreSQL (ids, promotion numbers); also the
bound of offsets: no listing has two billion rows."""
MAX_PAGE_SIZE = 100

PromotionFilter = Annotated[
    int | None, Query(ge=1, le=MAX_COLUMN_INT, description="Only this promotion (its number)")
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=MAX_COLUMN_INT, description="Items skipped")]


def _json_integer(value: object) -> object:
    # Pydantic's lax mode reads "12" and true as integers; a JSON body has real numbers (12.0
    # is one, as JSON Schema says), and the document says integer: text and booleans are not.
    if isinstance(value, str | bool):
        raise PydanticCustomError("int_type", "Input should be a JSON integer")
    return value


def _json_boolean(value: object) -> object:
    # Lax mode also reads "yes", "true", 1 and 0 as booleans.
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be a JSON boolean")
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
"""An integer of a JSON body, as the document declares it (add ``Field`` bounds beside it)."""
JsonBool = Annotated[bool, BeforeValidator(_json_boolean)]
"""``true`` or ``false`` of a JSON body, nothing else."""
