"""The contract as a document: one model (French section, then English) and two renderers.

:func:`contract_document` turns a version's terms into labelled lines; :func:`render_html`
(Jinja2) and :func:`render_pdf` (fpdf2) lay out the same lines, so both always say the same
thing. The PDF embeds Source Sans Pro (PyPI ``font-source-sans-pro``), so "€" and accents
render without any system font.
"""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import font_source_sans_pro  # type: ignore[import-untyped]  # ships no py.typed
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from libs.messages.common import Language
from libs.messages.contract_events import ContractTerms
from libs.wording import (
    PAY_BAND_LABELS,
    amount_in_euros,
    contract_status_label,
    label,
    long_date,
    months,
    role_label,
)
from libs.wording import percent as percent_in_words
from services.contracts.pages import TEMPLATES

FONT_DIR = Path(font_source_sans_pro.__file__).parent / "files"
FONT_FAMILY = "SourceSansPro"
LABEL_STYLE = FontFace(emphasis="BOLD")


@dataclass(frozen=True)
class DocumentLine:
    label: str
    value: str


@dataclass(frozen=True)
class DocumentSection:
    """The whole contract in one language."""

    language: Language
    title: str
    preamble: str
    lines: tuple[DocumentLine, ...]
    closing: str


@dataclass(frozen=True)
class ContractDocument:
    contract_number: str
    version: int
    sections: tuple[DocumentSection, ...]
    """French first, then English."""

    @property
    def title(self) -> str:
        return " – ".join(section.title for section in self.sections)


PREAMBLE = {
    Language.FR: "Contrat de projet conclu par la direction interministérielle du numérique "
    "(DINUM) au titre du programme Entrepreneurs d'intérêt général, pour le compte de "
    "l'administration d'accueil nommée ci-dessous.",
    Language.EN: "Project contract entered into by the French interministerial digital "
    "directorate (DINUM) under the Entrepreneurs d'intérêt général programme, on behalf of the "
    "host administration named below.",
}
CLOSING = {
    Language.FR: "Montants nets, en euros. La part variable est un montant annuel maximal. La "
    "rémunération ne dépend que de l'expérience professionnelle ; elle est identique pour les "
    "femmes et les hommes.",
    Language.EN: "Net amounts, in euros. The variable part is an annual maximum. Pay depends "
    "on professional experience only; it is identical for women and men.",
}
TITLE = {
    Language.FR: "Contrat de projet EIG",
    Language.EN: "EIG project contract",
}


# Documents use plain spaces in amounts, so their text (the PDF too) searches and copies as
# typed; e-mails use no-break spaces so an amount never wraps.
def euros(language: Language, amount: Decimal) -> str:
    """``4 250,00 €`` in French, ``€4,250.00`` in English (to the cent, half up)."""
    return amount_in_euros(language, amount, space=" ")


def percent(language: Language, value: Decimal) -> str:
    """``6 %`` in French, ``6%`` in English; no trailing zeros (``6.5`` stays ``6,5``)."""
    return percent_in_words(language, value, space=" ")


def contract_document(terms: ContractTerms, status: str) -> ContractDocument:
    """The document of one contract version in ``status``."""
    return ContractDocument(
        contract_number=terms.contract_number,
        version=terms.version,
        sections=tuple(
            _section(language, terms, status) for language in (Language.FR, Language.EN)
        ),
    )


def _section(language: Language, terms: ContractTerms, status: str) -> DocumentSection:
    fr = language == Language.FR
    variable = euros(language, terms.max_annual_variable_eur)
    share = percent(language, terms.variable_percent)
    years = terms.years_of_experience
    band = label(PAY_BAND_LABELS, terms.band).in_(language, in_sentence=True)
    lines = [
        ("Numéro du contrat" if fr else "Contract number", terms.contract_number),
        ("Version", str(terms.version)),
        ("Entrepreneur d'intérêt général" if fr else "EIG", terms.eig_name),
        ("Rôle" if fr else "Role", role_label(language, terms.role) if terms.role else "—"),
        (
            "Administration d'accueil" if fr else "Host administration",
            terms.host_administration or "—",
        ),
        ("Projet" if fr else "Project", terms.project_title or "—"),
        ("Durée" if fr else "Term", months(language, terms.term_months)),
        ("Date de début" if fr else "Start date", long_date(language, terms.start_on)),
        ("Date de fin" if fr else "End date", long_date(language, terms.end_on)),
        (
            "Rémunération mensuelle nette" if fr else "Monthly net pay",
            euros(language, terms.monthly_net_eur),
        ),
        (
            "Rémunération annuelle fixe nette" if fr else "Annual fixed net pay",
            euros(language, terms.annual_fixed_net_eur),
        ),
        (
            "Part variable annuelle maximale" if fr else "Maximum annual variable pay",
            f"{variable} ({share} de la rémunération annuelle fixe)"
            if fr
            else f"{variable} ({share} of the annual fixed pay)",
        ),
        (
            "Expérience professionnelle" if fr else "Professional experience",
            (
                f"{years} an{'s' if years > 1 else ''}"
                if fr
                else f"{years} year{'s' if years != 1 else ''}"
            )
            # The band by its name: its code (up_to_10_years) means nothing to the EIG.
            + f" ({'tranche : ' if fr else 'band: '}{band})",
        ),
        ("Grille de rémunération" if fr else "Pay policy", f"{terms.pay_policy_version}"),
        ("Statut" if fr else "Status", contract_status_label(language, status)),
    ]
    return DocumentSection(
        language=language,
        title=TITLE[language],
        preamble=PREAMBLE[language],
        lines=tuple(DocumentLine(label, value) for label, value in lines),
        closing=CLOSING[language],
    )


def render_html(document: ContractDocument) -> str:
    return TEMPLATES.get_template("contract.html").render(document=document)


def render_pdf(document: ContractDocument) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"{document.title} {document.contract_number} v{document.version}")
    pdf.set_lang("fr")
    pdf.set_creator("EIG – DINUM")
    pdf.add_font(FONT_FAMILY, "", str(FONT_DIR / "SourceSansPro-Regular.ttf"))
    pdf.add_font(FONT_FAMILY, "B", str(FONT_DIR / "SourceSansPro-Bold.ttf"))
    pdf.set_margins(20, 20, 20)
    for section in document.sections:
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, "B", 18)
        pdf.cell(text=section.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT_FAMILY, "B", 13)
        pdf.cell(
            text=f"{document.contract_number} – version {document.version}",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(4)
        pdf.set_font(FONT_FAMILY, "", 11)
        pdf.multi_cell(0, 6, section.preamble, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
        with pdf.table(
            col_widths=(2, 3),
            first_row_as_headings=False,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=7,
        ) as table:
            for line in section.lines:
                row = table.row()
                row.cell(line.label, style=LABEL_STYLE)
                row.cell(line.value)
        pdf.ln(4)
        pdf.set_font(FONT_FAMILY, "", 9)
        pdf.multi_cell(0, 5, section.closing, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
