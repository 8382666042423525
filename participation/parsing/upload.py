"""Dispatch an uploaded file to the right parser.

The filename only supplies the extension; it is never used as a path.
"""

from __future__ import annotations

import codecs

from flask_babel import gettext as _, lazy_gettext as _l

from .docx_reader import parse_docx
from .errors import UnsupportedFormat
from .text_parser import parse_text
from .tree import ParsedDocument

TEXT_EXTENSIONS = (".txt", ".md", ".markdown")

_REJECTED = {
    ".doc": _l("不支持旧版 Word（.doc）文件，请在 Word 中另存为 .docx 后上传"),
    ".wps": _l("不支持 WPS（.wps）文件，请另存为 .docx 后上传"),
    ".pdf": _l("不支持 PDF 文件，请上传 .docx、.txt 或 .md 格式的文本"),
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls/.wps container
# Control characters allowed in text; anything else in bulk means binary content.
_TEXT_CONTROLS = set("\t\n\r\f\v")


def _extension(filename: str) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    return "." + name.rsplit(".", 1)[1] if "." in name else ""


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030; binary is rejected."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif b"\x00" in data or data.startswith((_OLE_MAGIC, b"PK\x03\x04", b"%PDF")):
        raise UnsupportedFormat(_("文件内容不是文本，请检查文件类型"))
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnsupportedFormat(_("无法识别文件的文字编码，请保存为 UTF-8 编码的文本后上传"))
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in _TEXT_CONTROLS)
    if controls > 8 and controls > len(text) // 100:
        raise UnsupportedFormat(_("文件内容不是文本，请检查文件类型"))
    return text


def parse_upload(filename: str, data: bytes) -> ParsedDocument:
    """Parse an uploaded .txt, .md, .markdown or .docx file.

    Raises ``UnsupportedFormat`` (with a message for the uploader) for other
    types, undecodable or binary text, and files that are not valid .docx.
    """
    ext = _extension(filename)
    if ext == ".docx":
        if data.startswith(_OLE_MAGIC):
            raise UnsupportedFormat(str(_REJECTED[".doc"]))
        return parse_docx(data)
    if ext in TEXT_EXTENSIONS:
        return parse_text(decode_text(data))
    if ext in _REJECTED:
        raise UnsupportedFormat(str(_REJECTED[ext]))
    raise UnsupportedFormat(_("不支持的文件类型（%(extension)s），请上传 .docx、.txt 或 .md 文件",
                                extension=ext[:16] or _("无扩展名")))
