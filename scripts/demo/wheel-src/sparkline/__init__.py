"""Tiny text sparklines: the stand-in third-party module of the demo's market_data agent."""

__version__ = "1.0.0"

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values):
    """Renders numbers as one line of block characters, lowest to highest."""
    values = list(values)
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1
    return "".join(_BARS[int((v - lo) / span * (len(_BARS) - 1))] for v in values)
