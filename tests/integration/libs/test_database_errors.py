"""A database error never quotes the statement's parameters (personal data) in its message."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from libs.database import create_engine

pytestmark = pytest.mark.integration

SECRET = "camille.secret@example.fr"


async def test_a_refused_row_is_reported_without_its_values(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE people (email VARCHAR(200) UNIQUE)"))
            await connection.execute(text("INSERT INTO people VALUES (:email)"), {"email": SECRET})
        with pytest.raises(IntegrityError) as refused:
            async with engine.begin() as connection:
                await connection.execute(
                    text("INSERT INTO people VALUES (:email)"), {"email": SECRET}
                )
        message = str(refused.value)
        assert "INSERT INTO people" in message  # the statement is still there to debug
        assert SECRET not in message
        assert "hidden due to hide_parameters" in message
    finally:
        await engine.dispose()
