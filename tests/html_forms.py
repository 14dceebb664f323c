"""What a browser sends: its Accept header, and the hidden fields of a page's form."""

import re
from typing import Final

BROWSER_ACCEPT: Final = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FORM_POST: Final = {"Content-Type": "application/x-www-form-urlencoded", "Accept": BROWSER_ACCEPT}


def hidden(html: str, name: str) -> str:
    """The value of the page's hidden field ``name`` (the first one)."""
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match is not None, name
    return match.group(1)


def same_page(html: str | bytes) -> str:
    """A page without its language switch, which links back to the page's own address: two
    pages that differ only in their address (e.g. the one 404 of every wrong link) read the
    same."""
    text = html.decode() if isinstance(html, bytes) else html
    return re.sub(r'href="[^"]*lang=[^"]*"', "", text)
