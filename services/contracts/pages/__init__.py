"""The contracts service's HTML: the EIG's offer page (a router, :mod:`.offer`) and the
templates of every page and document (``templates/``, over the shared private-page layout)."""

from pathlib import Path
from typing import Final

from libs.private_pages import Missing, page_templates

TEMPLATES: Final = page_templates(Path(__file__).parent / "templates")

MISSING_CONTRACT: Final = Missing(
    "Contrat introuvable", "Contract not found", "Aucun contrat", "No contract"
)
"""What the 404 page of a wrong contract link says."""
