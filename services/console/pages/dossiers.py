"""``/console/dossiers`` (tabs, filters, search, sort, pages, CSV export) and
``/console/dossiers/{id}`` (the whole application, timeline, evaluations, one form per allowed
action posting to ``/console/dossiers/{id}/actions/{action}``)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Request
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import ValidationError
from starlette.responses import Response

from libs.messages.applications import AdministrationKind
from libs.messages.common import DossierKind, Role
from libs.messages.dossier_events import FINAL_STATUSES, DossierStatus
from libs.web.pages import Pages, pages_router
from services.console import service_layer
from services.console.action_forms import (
    BULK_BY_KEY,
    BULK_OPERATIONS,
    STAFF_ACTION_NAMES,
    action_form,
    role_for,
)
from services.console.pages.dependencies import (
    ConsoleDep,
    SessionDep,
    answer_form_post,
    posted_form,
    safe_next,
)
from services.console.schemas import DossierListFilters, DossierSort, Tab
from services.console.sessions import ConsoleSession
from services.console.staff_api import ApiRefused

router = pages_router()

LIST_PATH = "/console/dossiers"
TAB_LABELS = {
    Tab.TO_HANDLE: ("À traiter", "To handle"),
    Tab.FOLLOWED: ("Suivis par moi", "Followed by me"),
    Tab.HANDLED: ("Traités", "Handled"),
    Tab.ALL: ("Tous", "All"),
}
SORT_LABELS = {
    DossierSort.UPDATED_DESC: ("Dernière modification d’abord", "Latest change first"),
    DossierSort.UPDATED_ASC: ("En attente depuis le plus longtemps", "Waiting longest first"),
    DossierSort.SUBMITTED_DESC: ("Dépôt le plus récent d’abord", "Latest submitted first"),
    DossierSort.TITLE: ("Titre (A → Z)", "Title (A → Z)"),
}
FILTER_FIELDS = (
    "kind",
    "status",
    "round_id",
    "overdue",
    "q",
    "role",
    "administration_kind",
    "sort",
)


def _query_values(request: Request) -> dict[str, str]:
    """The query string's values, empty ones left out (an empty select means 'any')."""
    return {key: value for key, value in request.query_params.items() if value.strip() != ""}


def _list_url(values: dict[str, str], **changes: Any) -> str:
    merged = {**values, **{key: str(value) for key, value in changes.items()}}
    return f"{LIST_PATH}?{urlencode({k: v for k, v in merged.items() if v})}"


def _list_context(
    values: dict[str, str], filters: DossierListFilters, session: ConsoleSession
) -> dict[str, Any]:
    kept = {key: values[key] for key in FILTER_FIELDS if key in values}
    return {
        "session": session,
        "filters": filters,
        "values": kept,
        "tab_labels": TAB_LABELS,
        "sort_labels": SORT_LABELS,
        "tab_urls": {tab: _list_url(kept, tab=tab.value) for tab in Tab},
        "first_page_url": _list_url({**kept, "tab": filters.tab.value}),
        "page_url": _list_url({**kept, "tab": filters.tab.value}) + "&curseur=",
        "csv_url": _list_url({**kept, "tab": filters.tab.value, "format": "csv"}),
        "kinds": list(DossierKind),
        "statuses": list(DossierStatus),
        "roles": list(Role),
        "administration_kinds": list(AdministrationKind),
        "bulk_operations": BULK_OPERATIONS,
    }


@router.get(LIST_PATH, name="dossier_list")
async def dossier_list(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    values = _query_values(request)
    try:
        filters = DossierListFilters.model_validate(values)
    except ValidationError as error:
        errors = {str(item["loc"][0]): item["msg"] for item in error.errors()}
        context = _list_context(values, DossierListFilters(), session)
        return pages.render(
            request,
            "dossiers.html",
            {**context, "listing": None, "errors": errors},
            status_code=422,
        )
    if values.get("format") == "csv":
        chunks = service_layer.dossiers_csv(console.api, session.token, filters)
        first = await anext(chunks)  # an API refusal is still the error page, not half a file
        return StreamingResponse(
            _prepended(first, chunks),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="dossiers.csv"'},
        )
    listing = await service_layer.dossier_list(console.api, session.token, filters)
    context = _list_context(values, filters, session)
    return pages.render(request, "dossiers.html", {**context, "listing": listing, "errors": {}})


async def _prepended(first: str, rest: AsyncIterator[str]) -> AsyncIterator[str]:
    yield first
    async for chunk in rest:
        yield chunk


def _detail_path(dossier_id: UUID) -> str:
    return f"{LIST_PATH}/{dossier_id}"


async def _render_detail(
    request: Request,
    pages: Pages,
    console: ConsoleDep,
    session: ConsoleSession,
    dossier_id: UUID,
    *,
    refusal: ApiRefused | None = None,
    failed_action: str | None = None,
    form_values: dict[str, str] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    view = await service_layer.dossier_page(console.api, session.token, dossier_id)
    dossier = view.dossier
    forms = [
        action_form(name)
        for name in dossier.allowed_actions
        if name in STAFF_ACTION_NAMES and session.has_any(role_for(name))
    ]
    errors = {problem.field: problem.message for problem in (refusal.errors if refusal else [])}
    return pages.render(
        request,
        "dossier.html",
        {
            "session": session,
            "dossier": dossier,
            "comments": view.comments,
            "action_forms": forms,
            "refusal": refusal,
            "failed_action": failed_action,
            "form_values": form_values or {},
            "field_errors": errors,
            "done": done,
            "list_url": LIST_PATH,
            "erasable": session.is_admin and dossier.status in FINAL_STATUSES,
        },
        status_code=status_code,
    )


def _shown_again(
    request: Request,
    pages: Pages,
    console: ConsoleDep,
    session: ConsoleSession,
    dossier_id: UUID,
    failed_action: str,
    form: dict[str, str],
) -> Callable[[ApiRefused], Awaitable[Response]]:
    """The dossier page again after a refused form post, with the input and the API's
    refusal under the form of ``failed_action``, answered with the refusal's status."""

    async def again(refusal: ApiRefused) -> Response:
        return await _render_detail(
            request,
            pages,
            console,
            session,
            dossier_id,
            refusal=refusal,
            failed_action=failed_action,
            form_values=form,
            status_code=refusal.status_code,
        )

    return again


@router.get(LIST_PATH + "/{dossier_id}", name="dossier_page")
async def dossier_page(
    request: Request, dossier_id: UUID, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    done = request.query_params.get("fait")
    return await _render_detail(request, pages, console, session, dossier_id, done=done)


@router.post(LIST_PATH + "/{dossier_id}/actions/{action}", name="dossier_action")
async def dossier_action(
    request: Request,
    dossier_id: UUID,
    action: str,
    pages: Pages,
    console: ConsoleDep,
    session: SessionDep,
) -> Response:
    form = await posted_form(request)
    # A form on another page (matching) names it in ``retour`` to come back there.
    back = safe_next(form["retour"]) if form.get("retour") else _detail_path(dossier_id)
    separator = "&" if "?" in back else "?"

    again = _shown_again(request, pages, console, session, dossier_id, action, form)

    return await answer_form_post(
        service_layer.apply_action(console.api, session.token, dossier_id, action, form),
        done=f"{back}{separator}fait={action}",
        again=again,
    )


@router.post(LIST_PATH + "/{dossier_id}/suivre", name="follow_dossier")
async def follow_dossier(dossier_id: UUID, console: ConsoleDep, session: SessionDep) -> Response:
    await console.api.follow(session.token, dossier_id, on=True)
    return RedirectResponse(f"{_detail_path(dossier_id)}?fait=suivre", status_code=303)


@router.post(LIST_PATH + "/{dossier_id}/ne-plus-suivre", name="unfollow_dossier")
async def unfollow_dossier(dossier_id: UUID, console: ConsoleDep, session: SessionDep) -> Response:
    await console.api.follow(session.token, dossier_id, on=False)
    return RedirectResponse(f"{_detail_path(dossier_id)}?fait=ne-plus-suivre", status_code=303)


@router.post(LIST_PATH + "/{dossier_id}/commentaires", name="add_comment")
async def add_comment(
    request: Request, dossier_id: UUID, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    form = await posted_form(request)

    again = _shown_again(request, pages, console, session, dossier_id, "comment", form)

    return await answer_form_post(
        service_layer.add_comment(console.api, session.token, dossier_id, form),
        done=f"{_detail_path(dossier_id)}?fait=commentaire#comments",
        again=again,
        shown=lambda refusal: refusal.status_code == 422,
    )


@router.post(LIST_PATH + "/{dossier_id}/effacement", name="erase_personal_data")
async def erase_personal_data(
    request: Request, dossier_id: UUID, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    form = await posted_form(request)

    again = _shown_again(request, pages, console, session, dossier_id, "erase", form)

    return await answer_form_post(
        service_layer.erase_personal_data(console.api, session.token, dossier_id, form),
        done=f"{_detail_path(dossier_id)}?fait=effacement",
        again=again,
    )


BULK_PATH = LIST_PATH + "/lot"
SELECT_ONE = "Sélectionnez au moins un dossier / Select at least one dossier."
CHOOSE_OPERATION = "Choisissez l’action à appliquer / Choose the action to apply."


@router.post(BULK_PATH, name="bulk_action")
async def bulk_action(
    request: Request, pages: Pages, console: ConsoleDep, session: SessionDep
) -> Response:
    """One action and one note on every selected dossier, each through its own workflow;
    the page says, per dossier, applied or refused with the reason."""
    form = await request.form()
    operation = BULK_BY_KEY.get(str(form.get("operation", "")))
    dossier_ids: list[UUID] = []
    for raw in form.getlist("dossier_ids"):
        try:
            dossier_ids.append(UUID(str(raw)))
        except ValueError:
            continue  # not one of our checkboxes' values
    errors: dict[str, str] = {}
    if not dossier_ids:
        errors["dossier_ids"] = SELECT_ONE
    if operation is None:
        errors["operation"] = CHOOSE_OPERATION
    if errors or operation is None:
        context = {"session": session, "errors": errors, "operation": None}
        return pages.render(request, "bulk.html", context, status_code=422)
    results = await service_layer.bulk_apply(
        console.api, session.token, dossier_ids, operation, str(form.get("note", ""))
    )
    titles = await service_layer.dossier_titles(console.api, session.token, dossier_ids)
    applied = sum(result.applied for result in results)
    return pages.render(
        request,
        "bulk.html",
        {
            "session": session,
            "errors": {},
            "operation": operation,
            "results": results,
            "titles": titles,
            "applied": applied,
            "refused": len(results) - applied,
        },
    )
