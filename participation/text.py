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


# Unicode bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates
# (U+2066–U+2069) and the implicit marks (LRM, RLM, ALM). In a name they reorder what is
# displayed ("Trojan Source"): "报告\u202Exslx.exe" shows as "报告exe.xlsx".
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_FILENAME_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def strip_bidi_controls(value: str | None) -> str:
    return _BIDI.sub("", value or "")


def clean_filename(name: str | None, limit: int = 200) -> str:
    """An uploaded file's name, for display and records only (never used as a path): its
    last path component, NFC, without control characters or bidirectional controls (a
    name is never right-to-left text that needs them), trimmed, at most ``limit``
    characters."""
    if not name:
        return ""
    name = re.split(r"[\\/]", str(name))[-1]
    name = _FILENAME_CONTROL.sub("", unicodedata.normalize("NFC", name))
    return strip_bidi_controls(name).strip()[:limit]


def show_bidi_controls(value):
    """For templates (filter ``show_bidi``): free text with every bidirectional control
    made visible as ``[U+202E]`` in a ``<span class="bidi-escape">``, so that what staff
    and the public read is the order the characters were typed in. The stored text is
    unchanged. Text without such controls is returned as it came (autoescaped as usual);
    ``Markup`` stays markup."""
    from markupsafe import Markup, escape

    if value is None:
        return ""
    if isinstance(value, Markup):
        return Markup(_BIDI.sub(lambda match: _bidi_marker(match.group()), str(value)))
    text = str(value)
    if not _BIDI.search(text):
        return text
    pieces = []
    last = 0
    for match in _BIDI.finditer(text):
        pieces.append(str(escape(text[last:match.start()])))
        pieces.append(_bidi_marker(match.group()))
        last = match.end()
    pieces.append(str(escape(text[last:])))
    return Markup("".join(pieces))


def _bidi_marker(character: str) -> str:
    code = f"U+{ord(character):04X}"
    return f'<span class="bidi-escape" title="{code}">[{code}]</span>'
