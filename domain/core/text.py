"""The one rule for text anyone sends: no C0 control characters except tab, line feed and
carriage return (browsers send line breaks as CRLF; the text rules then store LF), and valid
UTF-8. PostgreSQL cannot store NUL in text at all, and the other controls are never typed:
they are smuggled in to corrupt logs, terminals or the layout."""

from __future__ import annotations

import re

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_character_problem(text: str, noun: str = "Text") -> str | None:
    """Why the text cannot be taken, naming the first control character; None if it can."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    return (
        f"{noun} contains a control character (U+{ord(found.group()):04X}), which is not allowed."
    )


def decode_problem(raw: bytes, noun: str = "Text") -> str | None:
    """Why these bytes are not acceptable text (not UTF-8, or a control character)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"{noun} is not valid UTF-8."
    return control_character_problem(text, noun)
