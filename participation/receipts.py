"""Receipt codes (回执编号): what a submitter keeps to look an opinion up later.

12 characters of Crockford's base32 (no I, L, O, U), 60 random bits from the system's
random source, shown as XXXX-XXXX-XXXX. Single opinions and batch rows get codes of the
same form and strength; a batch draws all of its codes from one read.
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LENGTH = 12


def _formatted(raw: str) -> str:
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def receipt_codes(count: int) -> list[str]:
    """``count`` distinct receipt codes, from one read of the system's random source
    rather than 12 per code."""
    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        needed = count - len(codes)
        raw = secrets.token_bytes(8 * needed)
        for offset in range(0, 8 * needed, 8):
            value = int.from_bytes(raw[offset:offset + 8], "big") >> 4  # 60 bits
            code = _formatted("".join(ALPHABET[(value >> shift) & 31] for shift in range(55, -1, -5)))
            if code not in seen:
                seen.add(code)
                codes.append(code)
    return codes


def new_receipt_code() -> str:
    return receipt_codes(1)[0]


def normalize_receipt_code(code: str | None) -> str | None:
    """Accept what people type: lower case, spaces, missing dashes, O for 0, I/L for 1."""
    if not code:
        return None
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    raw = raw.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(raw) != _LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return _formatted(raw)
