"""The action bodies' bounds are in the OpenAPI documents, not only in the validators: a
client (or a fuzzer) that follows the document is never refused for a note or a date."""

import re
from datetime import date

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from libs.plain_text import TEXT_PATTERN, PlainText
from workflows.action_rules import (
    ACTION_DATE_PATTERN,
    EARLIEST_ACTION_DATE,
    LATEST_ACTION_DATE,
    ActionDate,
    NoteText,
)


class Body(BaseModel):
    note: NoteText = ""
    on: ActionDate


class TestTheDocumentTellsTheBounds:
    def test_a_note_documents_its_length_and_its_pattern(self) -> None:
        note = Body.model_json_schema()["properties"]["note"]

        assert note["maxLength"] == 5000
        assert note["pattern"] == TEXT_PATTERN

    def test_plain_text_documents_the_pattern_it_enforces(self) -> None:
        assert TypeAdapter(PlainText).json_schema()["pattern"] == TEXT_PATTERN

    @pytest.mark.parametrize("text", ["a\x00b", "\x1b[2J", "del\x7f"])
    def test_what_the_pattern_refuses_the_model_refuses(self, text: str) -> None:
        assert not re.search(TEXT_PATTERN, text)
        with pytest.raises(ValidationError):
            Body(note=text, on=EARLIEST_ACTION_DATE)

    @pytest.mark.parametrize("text", ["", "Deux lignes\net une tabulation\t", "€ é ✓"])
    def test_what_the_pattern_allows_the_model_allows(self, text: str) -> None:
        assert re.search(TEXT_PATTERN, text)
        assert Body(note=text, on=EARLIEST_ACTION_DATE).note == text

    def test_a_date_documents_its_years(self) -> None:
        on = Body.model_json_schema()["properties"]["on"]

        assert on["format"] == "date"
        assert on["pattern"] == ACTION_DATE_PATTERN

    @pytest.mark.parametrize(
        ("day", "accepted"),
        [
            (EARLIEST_ACTION_DATE, True),
            (LATEST_ACTION_DATE, True),
            (date(1999, 12, 31), False),
            (date(2101, 1, 1), False),
            (date(9999, 1, 4), False),
        ],
    )
    def test_the_date_pattern_and_the_bounds_agree(self, day: date, accepted: bool) -> None:
        assert bool(re.search(ACTION_DATE_PATTERN, day.isoformat())) is accepted
        try:
            Body(on=day)
        except ValidationError:
            assert not accepted
        else:
            assert accepted
