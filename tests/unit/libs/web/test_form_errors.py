"""A model's validation errors as a form shows them: one message per field, in the form's
order, in both languages, a list item's line said."""

from pydantic import BaseModel, Field, HttpUrl, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from libs.web.form_errors import REQUIRED, form_errors
from libs.wording import Label


class Sample(BaseModel):
    name: str = Field(min_length=1, max_length=5)
    age: int = Field(ge=0, le=60)
    links: list[HttpUrl] = Field(default_factory=list)
    agreed: bool = False

    @field_validator("agreed")
    @classmethod
    def _must_agree(cls, value: bool) -> bool:
        if not value:
            raise PydanticCustomError("must_agree", "must agree")
        return value


def errors_of(**values: object) -> ValidationError:
    try:
        Sample.model_validate(values)
    except ValidationError as error:
        return error
    raise AssertionError("expected the sample to be refused")


ORDER = ("name", "age", "links", "agreed")


def test_one_message_per_field_in_the_form_s_order() -> None:
    error = errors_of(agreed=False, links=["https://a.fr", "nope"], age="x")
    found = form_errors(error, ORDER, {"must_agree": Label("Cochez.", "Tick.")})
    assert list(found.by_field) == ["name", "age", "links", "agreed"]
    assert found.by_field["name"] == REQUIRED
    assert found.by_field["age"].en == "Enter a whole number."
    assert found.by_field["links"].fr.startswith("Ligne 2 : ")
    assert found.by_field["agreed"] == Label("Cochez.", "Tick.")


def test_limits_are_said_with_their_value() -> None:
    found = form_errors(errors_of(name="abcdefgh", age=61, agreed=True), ORDER)
    assert "5 caractères" in found.by_field["name"].fr
    assert found.by_field["age"] == Label("Indiquez au plus 60.", "Enter at most 60.")


def test_the_summary_names_each_field() -> None:
    found = form_errors(errors_of(name="", age=3, agreed=True), ORDER)
    labels = {name: Label(name.upper(), name.title()) for name in ORDER}
    assert found.summary(labels) == [
        ("name", Label("NAME : " + REQUIRED.fr, "Name: " + REQUIRED.en))
    ]
