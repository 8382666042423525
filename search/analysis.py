"""Chinese text analysis for the index: jieba words with ordinal positions, and
character bigrams.

Two token streams are made from the same text:

* **words** — jieba's segmentation (precise mode, no HMM) of the folded text. Each word
  takes the next ordinal position (0, 1, 2 …), so a phrase query over words means
  "these words one after another". Words longer than two characters also give the
  dictionary words inside them *at the same position* (what jieba's search mode adds):
  停车位 yields 停车位, 停车 and 车位 at one position, so 车位 finds 停车位. Queries are
  segmented without those sub-words.
* **grams** — every pair of neighbouring characters (停车, 车位 …), one position each,
  with whitespace, punctuation and control characters left out, and the last character
  alone at the end. Any run of two or more characters of the text is then a phrase of
  consecutive bigrams, so an exact substring is always found whatever jieba made of it
  (出租车位 is segmented 出租车 / 位, but "车位" is still there as a bigram). A single
  character is the prefix of the token at its own position.

jieba's bundled Whoosh analyzer is not used: it stores character offsets as positions
(so phrases never match) and drops one-character tokens such as single digits.

Folding (``fold``) is the same for indexing and querying and keeps the text's length,
so token offsets point into the original text: full-width forms become ASCII
(ＡＢＣ１２３ → abc123) and letters are lower-cased.

jieba's dictionary is loaded once per process (``warm``) from a cache file in the
instance folder, plus the user dictionary ``legal_terms.txt`` of legislative terms.

Nothing here knows the search engine: the search backend (``search.backend``) wraps
these streams in its engine's tokenizers.
"""
from __future__ import annotations

import hashlib
import logging
import math
import operator
import os
import threading
import unicodedata
from collections import Counter
from itertools import chain
from pathlib import Path

#: Bump when tokenization changes in a way that makes existing indexes wrong; the
#: indexer compares it (with the dictionary's digest) at start and rebuilds.
ANALYZER_VERSION = 4

USER_DICTIONARY = Path(__file__).with_name("legal_terms.txt")
CACHE_FILE_NAME = "jieba.cache"

#: Joins the parts of a document (opinion text, proposed wording, reason …) inside one
#: field; a phrase never spans it.
PART_SEPARATOR = "\u2029"
#: Positions skipped at a part separator, more than any phrase we build.
PART_GAP = 1000
#: Longer words (a run of Latin letters pasted without spaces) are cut to this length,
#: at indexing and at query time alike.
MAX_WORD_LENGTH = 40

logger = logging.getLogger(__name__)


# --- folding -------------------------------------------------------------------------

class _FoldTable(dict):
    """``str.translate`` table built on demand: each character maps to one character
    (NFKC then lower-case) or stays as it is, so lengths and offsets never change."""

    def __missing__(self, code: int):
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char).lower()
        if len(folded) != 1:
            lowered = char.lower()
            folded = lowered if len(lowered) == 1 else char
        if folded == "\u3000" or (folded != char and folded.isspace()):
            folded = " "
        value = ord(folded)  # (None would delete the character)
        self[code] = value
        return value


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Case- and width-folded text of exactly the same length as ``text``."""
    return text.translate(_FOLD)


def _is_gram_char(char: str) -> bool:
    """Characters that take part in bigrams: letters, digits, ideographs, and symbols
    that carry meaning on their own (emoji, ℃, ¥); not whitespace, punctuation, control
    characters, or operator-like symbols (+ = ~ ^ |)."""
    category = unicodedata.category(char)
    return category[0] in "LN" or category in ("So", "Sc")


_GRAM_CHAR_CACHE: dict[str, bool] = {}


def gram_char(char: str) -> bool:
    try:
        return _GRAM_CHAR_CACHE[char]
    except KeyError:
        value = _GRAM_CHAR_CACHE[char] = _is_gram_char(char)
        return value


_IS_WORD_CACHE: dict[str, bool] = {}
_SUBWORDS_CACHE: dict[str, tuple] = {}
_CACHE_LIMIT = 500_000


def is_word(token: str) -> bool:
    """A jieba token worth indexing: it has a letter, digit, ideograph or symbol."""
    try:
        return _IS_WORD_CACHE[token]
    except KeyError:
        value = any(gram_char(char) for char in token)
        if len(_IS_WORD_CACHE) < _CACHE_LIMIT:
            _IS_WORD_CACHE[token] = value
        return value


def _subwords(word: str, freq) -> tuple:
    """(sub-word, offset) of the dictionary words of two and three characters inside
    ``word`` (what jieba's search mode adds), cached: words repeat a lot."""
    try:
        return _SUBWORDS_CACHE[word]
    except KeyError:
        pass
    size = len(word)
    found = []
    for n in (2, 3):
        if size <= n:
            break
        for i in range(size - n + 1):
            sub = word[i:i + n]
            if freq.get(sub) and is_word(sub):
                found.append((sub, i))
    value = tuple(found)
    if len(_SUBWORDS_CACHE) < _CACHE_LIMIT:
        _SUBWORDS_CACHE[word] = value
    return value


# --- jieba, once per process ---------------------------------------------------------

_segmenter = None
_fast: "_Segmenter | None" = None
_segmenter_lock = threading.Lock()
_cache_dir: str | None = None


def configure(cache_dir: str | os.PathLike | None) -> None:
    """Where jieba keeps its dictionary cache (the instance folder). Only the first
    call before ``warm`` counts: the dictionary is per process."""
    global _cache_dir
    if cache_dir is not None and _cache_dir is None:
        _cache_dir = str(cache_dir)


def warm():
    """Load jieba's dictionary and the user dictionary, once per process; later calls
    return the loaded segmenter at once. Thread-safe."""
    global _segmenter
    segmenter = _segmenter
    if segmenter is not None:
        return segmenter
    with _segmenter_lock:
        if _segmenter is not None:
            return _segmenter
        import jieba

        jieba.setLogLevel(logging.WARNING)
        segmenter = jieba.Tokenizer()
        if _cache_dir:
            os.makedirs(_cache_dir, exist_ok=True)
            # jieba writes the cache through a temporary file in tmp_dir and renames it,
            # so concurrent first starts do not read half a file.
            segmenter.tmp_dir = _cache_dir
            segmenter.cache_file = CACHE_FILE_NAME
        segmenter.initialize()
        segmenter.load_userdict(str(USER_DICTIONARY))
        global _fast
        _fast = _Segmenter(segmenter)
        _segmenter = segmenter
        return segmenter


def fingerprint() -> str:
    """Identifies everything that decides how text becomes tokens."""
    import jieba

    digest = hashlib.sha256()
    digest.update(f"analyzer={ANALYZER_VERSION};jieba={jieba.__version__};".encode())
    digest.update(USER_DICTIONARY.read_bytes())
    return digest.hexdigest()[:16]


_MISSING_PREFIX = object()


class _Segmenter:
    """jieba's precise mode without HMM (``Tokenizer.cut(text, HMM=False)``), word for
    word the same output, in about half the time.

    jieba builds a dictionary of candidate words for every character (``get_DAG``),
    then finds the most probable route right to left (``calc``), taking a logarithm
    per candidate. Here both happen in one right-to-left pass, with the logarithms of
    the dictionary's frequencies computed once, the same floating-point operations in
    the same order and the same tie-breaking (the longer word), so the routes are
    identical. ``tests/search/test_search_analysis.py`` checks it against jieba."""

    def __init__(self, tokenizer):
        import jieba

        self.freq = tokenizer.FREQ
        self.logtotal = math.log(tokenizer.total)
        logtotal = self.logtotal
        # Every word and every prefix of a word (jieba keeps prefixes with frequency 0):
        # the logarithm of the word's probability, or None for a bare prefix.
        self.prefixes = {word: (math.log(count) - logtotal if count else None) for word, count in self.freq.items()}
        self.re_han = jieba.re_han_default
        self.re_skip = jieba.re_skip_default

    def _block(self, block: str) -> list[str]:
        size = len(block)
        prefixes = self.prefixes
        missing = _MISSING_PREFIX
        fallback = 0.0 - self.logtotal  # jieba: log(FREQ.get(char) or 1) - logtotal
        score = [0.0] * (size + 1)
        end = list(range(size + 1))
        for start in range(size - 1, -1, -1):
            best = None
            best_end = start
            i = start
            fragment = block[start]
            while True:
                value = prefixes.get(fragment, missing)
                if value is missing:
                    break
                if value is not None:
                    value += score[i + 1]
                    if best is None or value >= best:
                        best = value
                        best_end = i
                i += 1
                if i == size:
                    break
                fragment = block[start:i + 1]
            if best is None:
                best = fallback + score[start + 1]
            score[start] = best
            end[start] = best_end
        words = []
        latin = ""
        x = 0
        while x < size:
            y = end[x] + 1
            word = block[x:y]
            # jieba joins runs of single ASCII letters and digits into one word.
            if y - x == 1 and word.isascii() and word.isalnum():
                latin += word
            else:
                if latin:
                    words.append(latin)
                    latin = ""
                words.append(word)
            x = y
        if latin:
            words.append(latin)
        return words

    def cut(self, text: str) -> list[str]:
        words: list[str] = []
        re_han = self.re_han
        re_skip = self.re_skip
        for block in re_han.split(text):
            if not block:
                continue
            if re_han.match(block):
                words.extend(self._block(block))
            else:
                for piece in re_skip.split(block):
                    if re_skip.match(piece):
                        words.append(piece)
                    else:
                        words.extend(piece)
        return words


def cut(text: str) -> list[str]:
    """jieba's precise-mode words of ``text`` (no HMM)."""
    warm()
    return _fast.cut(text)


# --- token streams -------------------------------------------------------------------

def _parts(text: str):
    """(offset, part) for each part of a field value joined with PART_SEPARATOR."""
    start = 0
    while True:
        end = text.find(PART_SEPARATOR, start)
        if end < 0:
            yield start, text[start:]
            return
        yield start, text[start:end]
        start = end + 1


def word_tokens(text: str, *, subwords: bool = True):
    """(word, position, start, end) of the folded ``text``; see the module docstring."""
    segmenter = warm()
    freq = segmenter.FREQ
    cut_words = _fast.cut
    folded = fold(text)
    position = 0
    for offset, part in _parts(folded):
        if not part:
            position += PART_GAP
            continue
        start = offset
        for word in cut_words(part):
            size = len(word)
            end = start + size
            if not is_word(word):
                start = end
                continue
            if size > MAX_WORD_LENGTH:
                yield word[:MAX_WORD_LENGTH], position, start, end
            else:
                yield word, position, start, end
            if subwords and size > 2 and size <= MAX_WORD_LENGTH:
                for sub, i in _subwords(word, freq):
                    yield sub, position, start + i, start + i + len(sub)
            position += 1
            start = end
        position += PART_GAP


def gram_tokens(text: str):
    """(bigram, position, start, end) of the folded ``text``; see the module docstring."""
    folded = fold(text)
    position = 0
    for offset, part in _parts(folded):
        chars = [(i, c) for i, c in enumerate(part) if gram_char(c)]
        for k in range(len(chars) - 1):
            i, c = chars[k]
            j, d = chars[k + 1]
            yield c + d, position, offset + i, offset + j + 1
            position += 1
        if chars:
            i, c = chars[-1]
            yield c, position, offset + i, offset + i + 1
            position += 1
        position += PART_GAP


# --- counting terms for the index -----------------------------------------------------
#
# What a document's text puts in the index: the same terms as the token streams above,
# counted (term → frequency), which is all the index keeps of them (see the
# backend's schema).

_PART_CODE = ord(PART_SEPARATOR)


class _CompactTable(dict):
    """``str.translate`` table: each character folded (as ``fold``) when it takes part
    in bigrams, deleted otherwise; part separators kept."""

    def __missing__(self, code: int):
        if code == _PART_CODE:
            value = code
        else:
            folded = _FOLD[code]
            value = folded if gram_char(chr(folded)) else None
        self[code] = value
        return value


_COMPACT = _CompactTable()


def compact(text: str) -> str:
    """The folded text with only the characters that bigrams are made of, parts still
    separated by PART_SEPARATOR: a phrase (its own ``compact`` form) occurs in a
    document exactly when its bigrams are consecutive in the document's bigram
    stream, so this is what phrases are checked against."""
    return text.translate(_COMPACT)


def gram_counts(compacted: str) -> tuple[dict[str, int], int]:
    """({bigram or tail character: frequency}, number of tokens) of a ``compact`` text:
    the tokens of ``gram_tokens``, counted."""
    tokens: list[str] = []
    for part in compacted.split(PART_SEPARATOR):
        if part:
            tokens.extend(map(operator.add, part, part[1:]))
            tokens.append(part[-1])
    return Counter(tokens), len(tokens)


_EXPANSIONS: dict[str, tuple[str, ...]] = {}


def _expansion(word: str, freq) -> tuple[str, ...]:
    """The terms a jieba word puts in the words field: none for punctuation and
    spaces, else the word (cut to MAX_WORD_LENGTH) and its sub-words (cached)."""
    found = _EXPANSIONS.get(word)
    if found is not None:
        return found
    if not is_word(word):
        value: tuple[str, ...] = ()
    elif len(word) > MAX_WORD_LENGTH:
        value = (word[:MAX_WORD_LENGTH],)
    elif len(word) > 2:
        value = (word,) + tuple(sub for sub, _offset in _subwords(word, freq))
    else:
        value = (word,)
    if len(_EXPANSIONS) < _CACHE_LIMIT:
        _EXPANSIONS[word] = value
    return value


def word_counts(text: str) -> tuple[dict[str, int], int]:
    """({word: frequency}, number of tokens) of ``text``: the tokens of
    ``word_tokens`` (sub-words included), counted."""
    segmenter = warm()
    freq = segmenter.FREQ
    cut_words = _fast.cut
    known = _EXPANSIONS.get
    tokens: list[str] = []
    for part in fold(text).split(PART_SEPARATOR):
        if not part:
            continue
        words = cut_words(part)
        expansions = list(map(known, words))
        if None in expansions:
            expansions = [_expansion(word, freq) if found is None else found for found, word in zip(expansions, words)]
        tokens.extend(chain.from_iterable(expansions))
    return Counter(tokens), len(tokens)


def query_grams(text: str) -> list[str]:
    """The bigrams a phrase must match, in order (no tail character); a single
    character when the text has only one."""
    chars = [c for c in fold(text) if gram_char(c)]
    if len(chars) == 1:
        return chars
    return [chars[k] + chars[k + 1] for k in range(len(chars) - 1)]


def query_words(text: str) -> list[str]:
    """The words of a query, in order, without the sub-words added at indexing."""
    return [word for word, _pos, _s, _e in word_tokens(text, subwords=False)]
