"""Parsing of regulation texts into provision trees (pure functions: no database, no Flask).

See ``lines`` for the line kinds, ``text_parser`` for the tree, keys and issue codes,
``citations`` for the accepted citation forms and ``render`` for the canonical text.
"""

from .citations import parse_citation
from .docx_reader import parse_docx
from .errors import UnsupportedFormat
from .numerals import chinese_to_int, int_to_chinese
from .render import render_text
from .text_parser import parse_markdown, parse_text
from .tree import Issue, Node, ParsedDocument
from .upload import parse_upload

__all__ = [
    "Issue", "Node", "ParsedDocument", "UnsupportedFormat", "chinese_to_int",
    "int_to_chinese", "parse_citation", "parse_docx", "parse_markdown", "parse_text",
    "parse_upload", "render_text",
]
