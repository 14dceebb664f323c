"""FastAPI dependencies shared by selection's routers."""

from typing import Annotated

from fastapi import Depends, Request

from services.selection.bootstrap import Selection


def get_selection(request: Request) -> Selection:
    selection: Selection = request.app.state.selection
    return selection


SelectionDep = Annotated[Selection, Depends(get_selection)]
