"""Chinese numerals as used in legal texts (第一千二百六十条, 第十条之一, （三）).

Only the counting form is produced (十一, 一百一十, 一千零一); the parser also accepts
Arabic digits (ASCII or full-width), 两, 〇, and the digit-by-digit form (二〇二〇).
"""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_MYRIAD = "万"

#: Regular expression for a numeral: Chinese characters or digits, not mixed.
NUMERAL_RE = "(?:[零〇一二两三四五六七八九十百千万]+|[0-9０-９]+)"

_TO_CHINESE = "零一二三四五六七八九"

#: The ten heavenly stems, which number sub-items in order (甲、乙、…; 甲目).
TIANGAN = "甲乙丙丁戊己庚辛壬癸"


def chinese_to_int(text: str) -> int:
    """Value of a Chinese (or Arabic) numeral; ``ValueError`` if it is not one."""
    s = text.strip()
    if not s:
        raise ValueError("empty numeral")
    if s.isdecimal():  # ASCII and full-width digits alike
        return int(s)
    if not any(ch in _UNITS or ch == _MYRIAD for ch in s):
        # Digit-by-digit form such as 二〇二〇.
        try:
            return int("".join(str(_DIGITS[ch]) for ch in s))
        except KeyError:
            raise ValueError(f"not a Chinese numeral: {text!r}") from None
    total = 0      # completed 万 groups
    group = 0      # value of the current group below 万
    digit = None   # pending digit not yet multiplied by a unit
    for ch in s:
        if ch in _DIGITS:
            if digit not in (None, 0) and _DIGITS[ch] != 0:
                raise ValueError(f"two digits without a unit in {text!r}")
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            # A bare 十 means 一十 (十一 = 11, 一百十 = 110).
            group += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        elif ch == _MYRIAD:
            total = (total + group + (digit or 0)) * 10000
            group, digit = 0, None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + group + (digit or 0)


def _group_to_chinese(n: int) -> str:
    """0 < n < 10000, with 零 for skipped places between non-zero digits."""
    out = []
    pending_zero = False
    for unit, value in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        d = n // value % 10
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_TO_CHINESE[d] + unit)
    return "".join(out)


def int_to_chinese(n: int) -> str:
    """Counting form of 0 <= n < 100000000: 10 -> 十, 110 -> 一百一十, 1001 -> 一千零一."""
    if not 0 <= n < 100_000_000:
        raise ValueError(f"out of range: {n}")
    if n == 0:
        return "零"
    high, low = divmod(n, 10000)
    parts = []
    if high:
        parts.append(_group_to_chinese(high) + "万")
        if 0 < low < 1000:
            parts.append("零")
    if low:
        parts.append(_group_to_chinese(low))
    s = "".join(parts)
    # 十一 rather than 一十一 when the number starts with the tens place.
    return s[1:] if s.startswith("一十") else s
