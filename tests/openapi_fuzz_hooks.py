"""Schemathesis hooks of the fuzz runs (``SCHEMATHESIS_HOOKS=tests.openapi_fuzz_hooks``).

The e-mail addresses schemathesis generates may end in special-use domains (``.test``), which
the services rightly refuse (email-validator): applicants write from real domains, so the
fuzzer's addresses are moved to one, in every phase (the stateful one builds its own bodies).

Dates are drawn from 1900-2199 rather than years 1-9999: the action bodies' dates are bounded
to 2000-2100 (documented as a pattern on the year), which a filter over the whole calendar
would almost never meet; the phases that break the rules still send dates out of bounds.
"""

from datetime import date
from typing import Any

import schemathesis
from hypothesis import strategies as st

SPECIAL_USE = frozenset({"test", "example", "invalid", "localhost", "local", "onion", "alt"})
REAL_DOMAIN = "example.fr"
LOCAL_PART = st.from_regex(r"\A[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?\Z").filter(
    lambda local: ".." not in local
)

schemathesis.openapi.format(
    "email",
    st.builds(
        "{}@{}".format,
        LOCAL_PART,
        st.sampled_from([REAL_DOMAIN, "beta.gouv.fr", "exemple.org", "numerique.gouv.fr"]),
    ),
)

schemathesis.openapi.format(
    "date",
    st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)).map(date.isoformat),
)


def on_a_real_domain(value: object) -> object:
    """``x@y.test`` → ``x@example.fr``; anything else unchanged."""
    if not isinstance(value, str) or value.count("@") != 1:
        return value
    local, domain = value.split("@")
    if domain.rsplit(".", 1)[-1].lower() in SPECIAL_USE:
        return f"{local}@{REAL_DOMAIN}"
    return value


@schemathesis.hook
def map_body(_context: Any, body: Any) -> Any:
    if isinstance(body, dict):
        return {name: on_a_real_domain(value) for name, value in body.items()}
    return body
