"""The programme's public results, "transparence des résultats": ``GET /resultats`` (the page,
one promotion at a time) and ``GET /resultats.csv`` (every figure as one tidy table).

Both read the use case of ``GET /api/v1/public/results`` (:func:`results_of`); each table has a
chart beside it, drawn on the server as SVG (no script, nothing the CSP would refuse)."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from fastapi import Request, Response

from libs.messages.common import DossierKind, Language, Role
from libs.web.language import page_language
from libs.web.pages import Pages, pages_router
from libs.web.rendering import RESULTS_PATH
from libs.wording import kind_label, month_and_year, pay_band_label, role_label
from services.intake.api.dependencies import IntakeDep
from services.intake.api.results import PromotionQuery, results_of
from services.intake.schemas import PromotionResults
from services.intake.service_layer import results_promotions

router = pages_router()

CSV_PATH: Final = f"{RESULTS_PATH}.csv"
CSV_COLUMNS: Final = ("promotion", "measure", "dimension", "value")

# The SVG's own units: the browser scales the drawing to its column.
CHART_WIDTH: Final = 600
LABEL_HEIGHT: Final = 22
BAR_HEIGHT: Final = 18
BAR_GAP: Final = 6
GROUP_GAP: Final = 14
VALUE_ROOM: Final = 56
"""Room right of the longest bar for its value."""
SERIES_COLOURS: Final = ("#000091", "#6a6af4")
"""DSFR's blue France (sun 113, main 525): each at least 3:1 against white."""


@dataclass(frozen=True)
class Bar:
    value: int
    y: int
    width: int
    colour: str

    @property
    def text_x(self) -> int:
        return self.width + 6

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class BarGroup:
    label: str
    label_y: int
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    """Horizontal bars, one group per table row, one bar per series."""

    id: str
    title: str
    groups: list[BarGroup]
    legend: list[tuple[str, str]]
    """(series name, colour); empty with one series."""
    height: int
    width: int = CHART_WIDTH

    @property
    def empty(self) -> bool:
        return not any(bar.value for group in self.groups for bar in group.bars)


def bar_chart(
    id: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[str] = (),
    *,
    scale_to: int | None = None,
) -> Chart:
    """A chart of ``rows`` (label, one value per series), bars scaled to the largest value or
    to ``scale_to`` (e.g. the seat cap)."""
    largest = max([scale_to or 0, *(value for _label, values in rows for value in values)])
    room = CHART_WIDTH - VALUE_ROOM
    groups: list[BarGroup] = []
    y = 0
    for label, values in rows:
        label_y = y + LABEL_HEIGHT - 6
        y += LABEL_HEIGHT
        bars = []
        for index, value in enumerate(values):
            width = round(room * value / largest) if largest else 0
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            bars.append(Bar(value=value, y=y, width=width, colour=colour))
            y += BAR_HEIGHT + BAR_GAP
        groups.append(BarGroup(label=label, label_y=label_y, bars=bars))
        y += GROUP_GAP
    legend = list(zip(series, SERIES_COLOURS, strict=False)) if len(series) > 1 else []
    return Chart(id=id, title=title, groups=groups, legend=legend, height=max(y, 1))


def _t(language: Language, french: str, english: str) -> str:
    return english if language == Language.EN else french


@dataclass(frozen=True)
class MonthRow:
    month: str
    projects: int
    candidates: int

    @property
    def total(self) -> int:
        return self.projects + self.candidates


@dataclass(frozen=True)
class RecruitmentRow:
    role: str
    counts: list[int]
    """One per band of :attr:`ResultsView.bands`."""

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class ResultsView:
    """One promotion's results as the page shows them, in the page's language."""

    results: PromotionResults
    months: list[MonthRow]
    bands: list[str]
    recruitments: list[RecruitmentRow]
    charts: dict[str, Chart]

    @property
    def recruited(self) -> int:
        return sum(row.total for row in self.recruitments)

    @property
    def seats_left(self) -> int | None:
        cap = self.results.seats.cap
        return max(cap - self.results.seats.used, 0) if cap is not None else None


def results_view(results: PromotionResults, language: Language) -> ResultsView:
    by_month: dict[str, dict[DossierKind, int]] = {}
    for row in results.applications_received:
        by_month.setdefault(row.month, {})[row.kind] = row.count
    months = [
        MonthRow(
            month=month_and_year(language, month),
            projects=counts.get(DossierKind.PROJECT, 0),
            candidates=counts.get(DossierKind.CANDIDATE, 0),
        )
        for month, counts in sorted(by_month.items())
    ]
    band_codes = sorted({row.band for row in results.eig_recruited})
    roles: list[Role | None] = [Role.PRODUCT_DIRECTOR, Role.TECHNICAL_DIRECTOR]
    if any(row.role is None for row in results.eig_recruited):
        roles.append(None)
    counts = {(row.role, row.band): row.count for row in results.eig_recruited}
    recruitments = [
        RecruitmentRow(
            role=role_label(language, role) if role else _t(language, "Non précisé", "Not stated"),
            counts=[counts.get((role, band), 0) for band in band_codes],
        )
        for role in roles
    ]
    bands = [pay_band_label(language, band) for band in band_codes]
    per_administration: dict[str, int] = {}
    for project in results.projects_selected:
        name = project.administration or _t(language, "Non précisée", "Not stated")
        per_administration[name] = per_administration.get(name, 0) + 1
    seats = results.seats
    charts = {
        "applications": bar_chart(
            "chart-applications",
            _t(language, "Dossiers reçus par mois", "Applications received per month"),
            [(row.month, [row.projects, row.candidates]) for row in months],
            [kind_label(language, kind) for kind in (DossierKind.PROJECT, DossierKind.CANDIDATE)],
        ),
        "projects": bar_chart(
            "chart-projects",
            _t(language, "Projets retenus par administration", "Projects per administration"),
            sorted((name, [count]) for name, count in per_administration.items()),
        ),
        "recruitments": bar_chart(
            "chart-recruitments",
            _t(language, "EIG recrutés par rôle", "EIG recruited per role"),
            [(row.role, row.counts) for row in recruitments] if band_codes else [],
            bands,
        ),
        "seats": bar_chart(
            "chart-seats",
            _t(language, "Places attribuées et plafond", "Seats used and cap"),
            [
                (_t(language, "Places attribuées", "Seats used"), [seats.used]),
                *([(_t(language, "Plafond", "Cap"), [seats.cap])] if seats.cap is not None else []),
            ],
        ),
        "renewals": bar_chart(
            "chart-renewals",
            _t(language, "Contrats signés et renouvelés", "Contracts signed and renewed"),
            [
                (_t(language, "Contrats signés", "Contracts signed"), [sum(counts.values())]),
                (_t(language, "Renouvellements", "Renewals"), [results.contracts_renewed]),
            ],
        ),
    }
    return ResultsView(
        results=results,
        months=months,
        bands=bands,
        recruitments=recruitments,
        charts=charts,
    )


@router.get(RESULTS_PATH, name="results")
async def results_page(
    request: Request, pages: Pages, intake: IntakeDep, promotion: PromotionQuery = None
) -> Response:
    current = intake.settings.CURRENT_PROMOTION_NUMBER
    chosen = promotion if promotion is not None else current
    results = (await results_of(intake, chosen)).promotions[0]
    return pages.render(
        request,
        "results.html",
        {
            "view": results_view(results, page_language(request)),
            "promotions": await results_promotions(intake.sessions, current),
            "csv_url": f"{CSV_PATH}?promotion={chosen}",
            "json_url": f"/api/v1/public/results?promotion={chosen}",
        },
    )


def results_csv(promotions: Sequence[PromotionResults]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for results in promotions:
        writer.writerows(results.tidy_rows())
    return out.getvalue()


@router.get(CSV_PATH, name="results_csv", response_class=Response)
async def results_csv_download(intake: IntakeDep, promotion: PromotionQuery = None) -> Response:
    results = await results_of(intake, promotion)
    name = f"resultats-eig-promotion-{promotion}.csv" if promotion else "resultats-eig.csv"
    return Response(
        results_csv(results.promotions),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
