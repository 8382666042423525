"""Cleaning of free text typed by users: stored as typed, but in a canonical form."""
from __future__ import annotations

import re
import unicodedata

# C0/C1 control characters except TAB and LF, plus the Unicode line/paragraph
# separators and BOM/zero-width no-break space that break rendering and search.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def clean_text(value: str | None, *, multiline: bool = True) -> str:
    """NFC-normalise, unify line breaks, drop control characters, trim the ends."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


def is_storable_text(value: str) -> bool:
    """False for strings no database column can store: JSON may carry lone surrogates
    (\\ud800), which have no UTF-8 encoding."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
