"""The public site on the whole stack: the landing page reads the promotion the workflows
process seeded, through Temporal."""

import re

import httpx
import pytest

from tests.eventually import eventually
from tests.local_stack import RunningStack

pytestmark = pytest.mark.e2e

PAGE = {"Accept": "text/html"}


async def test_the_landing_page_shows_the_seeded_promotion_s_seats_and_cut_offs(
    stack: RunningStack, http: httpx.AsyncClient
) -> None:
    async def landing_with_promotion() -> str:
        page = await http.get(stack.urls["intake"] + "/", headers=PAGE)
        assert page.status_code == 200
        # The page renders at once; the promotion shows once its worker answers queries.
        return page.text if 'id="seats-cap"' in page.text else ""

    page = await eventually(landing_with_promotion, timeout=60)
    assert re.search(r'id="seats-cap"[^>]*>30<', page)
    assert "Promotion 7" in page
    assert re.findall(r"<tr>\s*<td>(Projets|Candidatures)</td>", page)  # a year of rounds
