"""Changing an index: documents as Whoosh field values, a writer that adds, replaces and
deletes them by document id, and the bulk path of a rebuild (whole segments written by
``codec.SegmentBuilder``, then listed in the index's table of contents at once).
"""
from __future__ import annotations

import os
from datetime import timezone

from whoosh import index as whoosh_index
from whoosh.query import And, Term

from search.analysis import PART_SEPARATOR, compact
from search.backend.whoosh.codec import codec
from search.backend.whoosh.store import WriterBusy


def _epoch(value) -> int | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def whoosh_fields(document: dict) -> dict:
    """A document (see ``search.documents``) as Whoosh field values."""
    # A separator typed inside a text must not split it.
    text = PART_SEPARATOR.join(part.replace(PART_SEPARATOR, " ") for part in document.get("parts") or ())
    fields = {
        "doc_id": document["doc_id"],
        "kind": document["kind"],
        "clause": " ".join(document.get("clause") or ()),
        "words": text,
        "grams": text,
        "text": compact(text),
    }
    for name in ("draft", "version", "article", "stance", "category", "liaison", "batch", "state", "region"):
        value = document.get(name)
        if value:
            # IDs are single terms; whitespace would be kept inside the term anyway.
            fields[name] = str(value)
    created = _epoch(document.get("created"))
    if created is not None:
        fields["created"] = created
    return fields


class Writer:
    """One Whoosh writer on an index: add or replace documents, delete them, commit.

    Updates are by document id, so applying the same change twice is harmless.
    """

    def __init__(self, ix, *, timeout: float = 1.0, limitmb: int = 64):
        from whoosh.util.filelock import try_for
        from whoosh.writing import SegmentWriter

        # The lock is taken here rather than by Whoosh: its writer takes the lock, then
        # creates its temporary folder in the index directory, and when that fails (an
        # unwritable directory) the half-made writer kept the lock until the garbage
        # collector freed it, so this process's indexer found the index "busy" long
        # after the directory was writable again.
        lock = ix.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=timeout, delay=0.1):
            raise WriterBusy("the index is locked by another writer")
        try:
            self._writer = SegmentWriter(ix, _lk=False, limitmb=limitmb, codec=codec())
        except BaseException:
            lock.release()
            raise
        self._writer.writelock = lock  # released by its commit or cancel, as Whoosh's own
        self.changes = 0

    def upsert(self, document: dict) -> None:
        self._writer.update_document(**whoosh_fields(document))
        self.changes += 1

    def add(self, document: dict) -> None:
        """Add without looking for an older copy (for documents known to be absent)."""
        self._writer.add_document(**whoosh_fields(document))
        self.changes += 1

    def delete(self, doc_id: str) -> None:
        self._writer.delete_by_term("doc_id", doc_id)
        self.changes += 1

    def delete_where(self, **terms: str) -> None:
        """Delete every document whose fields have these values (for example
        ``kind="provision", draft="3"``)."""
        query = And([Term(name, str(value)) for name, value in terms.items()])
        self._writer.delete_by_query(query)
        self.changes += 1

    def commit(self) -> None:
        try:
            self._writer.commit()
        except BaseException:
            # Whoosh releases its write lock only at the end of a commit that worked:
            # after a failed one (a failing merge) this process kept the lock, and its
            # every later cycle found the index "busy" instead of failing again.
            self._abandon()
            raise

    def cancel(self) -> None:
        try:
            self._writer.cancel()
        except Exception:
            self._abandon()

    def _abandon(self) -> None:
        """Release what a failed commit or cancel left held; the files it wrote are not
        in the table of contents (``check_files`` reports them as leftovers)."""
        writer = self._writer
        try:
            writer._tempstorage.destroy()
        except Exception:
            pass
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            try:
                lock.release()
            except Exception:
                pass
        writer.is_closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.cancel()


# --- bulk building (rebuild) ----------------------------------------------------------

class SegmentBuilder:
    """Writes one segment of a new generation (``codec.SegmentBuilder``: without
    Whoosh's per-posting path), in a worker process of a parallel rebuild or in the
    rebuilding process itself. ``commit_segments`` then lists the segments in the
    index's table of contents, as Whoosh's own multiprocessing writer does."""

    def __init__(self, path: str | os.PathLike):
        from search.backend.whoosh.codec import SegmentBuilder as _Builder

        self._builder = _Builder(whoosh_index.open_dir(str(path)))

    @property
    def count(self) -> int:
        return self._builder.count

    def add(self, document: dict) -> None:
        self._builder.add(whoosh_fields(document))

    def finish(self):
        """The finished segment (picklable), or None when nothing was added."""
        return self._builder.finish()


def commit_segments(path: str | os.PathLike, segments: list) -> None:
    """Make ``segments`` (from SegmentBuilders) the content of the index at ``path``."""
    ix = whoosh_index.open_dir(str(path))
    writer = ix.writer(codec=codec())
    try:
        writer._close_segment()
        writer._commit_toc([segment for segment in segments if segment is not None])
    except BaseException:
        writer.cancel()
        raise
    writer._finish()
