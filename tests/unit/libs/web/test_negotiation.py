"""Content negotiation: a page only for a client that ranks HTML above JSON."""

import pytest

from libs.web.negotiation import prefers_html

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("text/html", True),
        (BROWSER_ACCEPT, True),
        ("application/json, text/html;q=0.5", False),
        ("text/html;q=0.4, application/json;q=0.9", False),
        ("text/*, application/json;q=0.1", True),
        ("text/html;q=bogus, */*", False),
    ],
)
def test_html_is_chosen_only_when_ranked_above_json(accept: str | None, expected: bool) -> None:
    assert prefers_html(accept) is expected
