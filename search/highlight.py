"""Snippets: a window of a result's text around what matched, with the matches marked.

Marks are found the way the index matches: on folded text (case and full-width forms),
ignoring spaces and punctuation, so "停车 位" marks 停车位 and ＡＢＣ marks abc. The
snippet is plain text with (start, end) offsets; templates escape the pieces and the
API returns the offsets, so no markup from the text can get through.
"""
from __future__ import annotations

from search.analysis import fold, gram_char

SNIPPET_CHARS = 120
LEAD_CHARS = 30
ELLIPSIS = "…"


def _compact(text: str) -> tuple[str, list[int]]:
    """The folded text without non-matching characters, and the original offset of
    each kept character."""
    folded = fold(text)
    kept = []
    offsets = []
    for index, char in enumerate(folded):
        if gram_char(char):
            kept.append(char)
            offsets.append(index)
    return "".join(kept), offsets


def find_spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """Merged, sorted (start, end) spans of ``text`` matching any needle."""
    compact, offsets = _compact(text)
    spans = []
    for needle in needles:
        target, _offsets = _compact(needle)
        if not target:
            continue
        start = compact.find(target)
        while start >= 0:
            end = start + len(target)
            spans.append((offsets[start], offsets[end - 1] + 1))
            start = compact.find(target, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def make_snippet(texts: list[str | None], needles: list[str], *, width: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """(snippet, spans): from the first text with a match (or the first non-empty
    text), up to ``width`` characters, starting a little before the first match."""
    candidates = [" ".join((text or "").split()) for text in texts]
    candidates = [text for text in candidates if text]
    if not candidates:
        return "", []
    chosen, spans = candidates[0], []
    for text in candidates:
        found = find_spans(text, needles) if needles else []
        if found:
            chosen, spans = text, found
            break
    start = 0
    if spans and len(chosen) > width:
        start = max(0, min(spans[0][0] - LEAD_CHARS, len(chosen) - width))
    end = min(len(chosen), start + width)
    snippet = chosen[start:end]
    shift = 0
    if start > 0:
        snippet = ELLIPSIS + snippet
        shift = 1
    if end < len(chosen):
        snippet += ELLIPSIS
    visible = []
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        visible.append((max(span_start, start) - start + shift, min(span_end, end) - start + shift))
    return snippet, visible
