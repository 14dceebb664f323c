"""What every applicant page behind a private link shares (status page, contract offer)."""

from dataclasses import dataclass
from typing import Final

PRIVATE_PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
"""The private link carries its token in the URL: keep it out of caches, Referer headers and
search engines."""


@dataclass(frozen=True)
class Notice:
    """A message shown at the top of a private page, French then English."""

    fr: str
    en: str
    is_error: bool = False
