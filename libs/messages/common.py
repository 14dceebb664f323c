"""Vocabulary shared by applications and dossier events."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class DossierKind(StrEnum):
    CANDIDATE = "candidate"
    PROJECT = "project"


class Language(StrEnum):
    FR = "fr"
    EN = "en"


class Role(StrEnum):
    PRODUCT_DIRECTOR = "product_director"
    TECHNICAL_DIRECTOR = "technical_director"


class Contact(BaseModel):
    """Who receives a dossier's e-mails, and in which language."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Name used to greet the applicant")
    email: EmailStr = Field(description="Address the dossier's e-mails go to")
    language: Language = Field(default=Language.FR, description="Language of the e-mails")
