"""Whether a request wants a page or JSON, from its Accept header."""

from starlette.requests import HTTPConnection


def prefers_html(accept: str | None) -> bool:
    """True when the Accept header ranks text/html above application/json (browsers do)."""
    if not accept:
        return False
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range.lower(), quality))
    return _quality(ranges, "text/html") > _quality(ranges, "application/json")


def wants_html(connection: HTTPConnection) -> bool:
    return prefers_html(connection.headers.get("accept"))


def _quality(ranges: list[tuple[str, float]], media_type: str) -> float:
    """The q of the most specific range matching ``media_type`` (RFC 9110 §12.5.1)."""
    family = media_type.split("/", 1)[0]
    specificity_of = {media_type: 2, f"{family}/*": 1, "*/*": 0}
    best_specificity, best_quality = -1, 0.0
    for media_range, quality in ranges:
        specificity = specificity_of.get(media_range, -1)
        if specificity > best_specificity:
            best_specificity, best_quality = specificity, quality
    return best_quality
