"""FastAPI dependencies shared by intake's routers."""

from typing import Annotated

from fastapi import Depends, Request

from services.intake.bootstrap import Intake

API_PREFIX = "/api/v1"


def get_intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


IntakeDep = Annotated[Intake, Depends(get_intake)]
