"""Kept files and previews (``batches.uploads``), and their purge."""
from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import func, select

from participation.batches import uploads
from participation.batches.reading import file_digest
from participation.extensions import db
from participation.models import Opinion
from tests.batches.conftest import row

pytestmark = pytest.mark.usefixtures("zh")


def _count(model=Opinion) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- stored uploads -----------------------------------------------------------------------

def test_uploads_are_stored_by_digest_and_stale_ones_purged(import_file, xlsx, point, draft, operator, activity,
                                                           frozen_now):
    kept, _created = import_file(xlsx([row(body="已导入")]))
    data = xlsx([row(body="只预览")])
    orphan = uploads.keep_file(data, "xlsx")
    assert orphan == f"{file_digest(data)}.xlsx" and uploads.read_file(orphan) == data
    assert uploads.read_file("../../secret_key") is None
    pending = uploads.save_pending(point=point, draft=draft, user=operator, activity=activity, data=data,
                                   filename="x.xlsx", now=frozen_now.now)
    assert pending.stored_file == orphan
    assert uploads.load_pending(pending.id).activity_value() == activity
    assert uploads.load_pending("../x") is None
    old = time.time() - 3 * 24 * 3600
    for path in uploads.uploads_dir().rglob("*"):
        if path.is_file():
            os.utime(path, (old, old))
    assert uploads.purge_stale_uploads() == 2  # the preview and its orphan table
    assert uploads.read_file(kept.stored_file) is not None
    assert uploads.read_file(orphan) is None and uploads.load_pending(pending.id) is None
