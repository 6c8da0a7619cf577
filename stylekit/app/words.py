"""The words the app's messages share: times (``1:23``, ``14 min``), sentences and places in line."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """``m:ss``; from an hour on, hours and minutes (see :func:`minutes`)."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else minutes(seconds)


def minutes(seconds: float) -> str:
    """A long time in whole minutes: ``14 min``, ``2 h 05 min``."""
    hours, rest = divmod(max(1, round(seconds / 60)), 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def sentence(text: str) -> str:
    """A message as a sentence: capitalised, ending with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def counted(number: int, thing: str) -> str:
    """``1 step``, ``2 steps``."""
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"
