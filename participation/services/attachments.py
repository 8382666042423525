"""法规草案建议稿: files attached to proposals. The type is decided by the content, never
by the uploaded name or the browser's content type; the file is stored under a generated
name in INSTANCE_PATH/uploads/proposals; the uploaded name is kept for display only.

``check`` refuses, with a message meant for people, anything that is not a .docx, .pdf or
UTF-8/GB18030 text file, that is too large, that has a path-like name, or a .docx whose
entries would unpack past a limit (a zip bomb). It stores nothing; ``store`` does, after
the proposal row exists.
"""
from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from participation.errors import ValidationFailed
from participation.extensions import db

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_RATIO = 200  # a Word document compresses maybe 10:1; a bomb a thousandfold
MAX_FILES_PER_PROPOSAL = 3
MAX_NAME_LENGTH = 200
FORMATS = ("docx", "pdf", "txt")
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Upload:
    """A file as a channel received it: the name the person gave it and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    file_format: str
    data: bytes
    digest: str


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"attachment": [message]})


def max_bytes() -> int:
    return int(current_app.config.get("PROPOSAL_ATTACHMENT_MAX_BYTES", MAX_ATTACHMENT_BYTES))


def display_name(filename: str) -> str:
    """The uploaded name if it is a plain file name; refuses a path (``../x``, ``a/b``,
    ``C:\\x``) or control characters rather than guessing what was meant."""
    name = (filename or "").strip()
    if not name:
        raise _refuse(_("附件没有文件名。"))
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".") or ":" in name \
            or any(ord(ch) < 32 for ch in name):
        raise _refuse(_("附件文件名“%(name)s”不能包含路径或特殊字符，请改名后再上传。", name=name[:80]))
    if len(name) > MAX_NAME_LENGTH:
        raise _refuse(_("附件文件名过长（不超过 %(limit)d 个字）。", limit=MAX_NAME_LENGTH))
    return name


def _is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                return False
            if len(infos) > MAX_ZIP_ENTRIES:
                raise _refuse(_("Word 文档结构异常（条目过多），无法接收。"))
            unpacked = sum(info.file_size for info in infos)
            packed = max(1, sum(info.compress_size for info in infos))
            if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
                raise _refuse(_("Word 文档解压后过大，疑似异常文件，无法接收。"))
            if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
                return False
            archive.testzip()
    except zipfile.BadZipFile:
        return False
    return True


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # Control characters other than white space mean a binary file.
        return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text)
    return False


def sniff(data: bytes) -> str | None:
    """``docx``, ``pdf``, ``txt`` or None, from the bytes alone."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if _is_docx(data):
        return "docx"
    if data and _is_text(data):
        return "txt"
    return None


def check(upload: Upload) -> CheckedFile:
    """The accepted file, or ValidationFailed (field ``attachment``)."""
    name = display_name(upload.filename)
    limit = max_bytes()
    if len(upload.data) > limit:
        raise _refuse(_("附件“%(name)s”超过 %(size)s MB 的上限。", name=name, size=f"{limit / 1024 / 1024:g}"))
    if not upload.data:
        raise _refuse(_("附件“%(name)s”是空文件。", name=name))
    file_format = sniff(upload.data)
    if file_format is None:
        raise _refuse(_("附件“%(name)s”不是 Word（.docx）、PDF 或纯文本文件。", name=name))
    return CheckedFile(name, file_format, upload.data, hashlib.sha256(upload.data).hexdigest())


def attachments_dir() -> Path:
    path = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "proposals"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(proposal, checked: CheckedFile, *, now: datetime):
    """Write the file under a generated name and add its row (flushed by the caller)."""
    from participation.models import ProposalAttachment

    stored_name = f"{secrets.token_hex(16)}.{checked.file_format}"
    target = attachments_dir() / stored_name
    partial = target.with_suffix(".part")
    partial.write_bytes(checked.data)
    partial.replace(target)
    row = ProposalAttachment(proposal_id=proposal.id, original_name=checked.original_name, stored_name=stored_name,
                             file_format=checked.file_format, size=len(checked.data), digest=checked.digest,
                             created_at=now)
    db.session.add(row)
    return row


def path_of(attachment) -> Path:
    """Where an attachment's file is; the name is ours, so it is never a path."""
    return attachments_dir() / Path(attachment.stored_name).name
