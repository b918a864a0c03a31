"""HAProxy time and size values: ``30s``, ``1500``, ``2m``; a bare number is milliseconds.

HAProxy accepts an unsigned integer followed by an optional unit (us, ms, s,
m, h, d) with nothing in between (configuration.txt §2.5); ``1.5s`` or
``10 s`` are errors.  We keep the text the user wrote and derive the value.
"""

from __future__ import annotations

import re

__all__ = ["TIME_UNITS_MS", "TimeError", "parse_time_ms"]

TIME_UNITS_MS: dict[str, float] = {
    "us": 0.001,
    "ms": 1.0,
    "": 1.0,
    "s": 1000.0,
    "m": 60_000.0,
    "h": 3_600_000.0,
    "d": 86_400_000.0,
}
_TIME = re.compile(r"(\d+)([a-z]*)")
# HAProxy stores timeouts as signed 32-bit milliseconds ticks.
_MAX_MS = 2**31 - 1


class TimeError(ValueError):
    pass


def parse_time_ms(text: str) -> float:
    """Milliseconds for a HAProxy time value, or TimeError saying what is wrong."""
    match = _TIME.fullmatch(text)
    if not match:
        bad = next((c for c in text if not c.isdigit()), text[:1])
        raise TimeError(f"unexpected character '{bad}' in time value '{text}'")
    number, unit = match.groups()
    if unit not in TIME_UNITS_MS:
        raise TimeError(
            f"unexpected unit '{unit}' in time value '{text}' (use us, ms, s, m, h or d)"
        )
    value = int(number) * TIME_UNITS_MS[unit]
    if value > _MAX_MS:
        raise TimeError(f"time value '{text}' is too large (the maximum is about 24.8 days)")
    return value
