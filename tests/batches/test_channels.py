"""One pipeline behind both channels (``batches.check`` then ``batches.store``): the same
table stored through the web (upload → preview → confirm) and through the API
(multipart) gives the same batch and the same opinion rows; keeping a file purges stale
uploads whichever channel keeps it; the API keeps no file of a batch it refuses."""
from __future__ import annotations

import io
import json
import os
import re
import time

import pytest
from sqlalchemy import select

from participation.batches import uploads
from participation.extensions import db
from participation.models import Batch, Opinion
from participation.services import accounts
from tests.batches.conftest import row, upload_form

pytestmark = pytest.mark.usefixtures("zh")

# What differs by channel or by nature: ids, who and for which point, receipts, times.
_BATCH_SKIPPED = {"id", "liaison_point_id", "entered_by_id", "idempotency_key"}
_OPINION_SKIPPED = {"id", "liaison_point_id", "batch_id", "receipt_code", "submitter_key"}


def _table(xlsx) -> bytes:
    return xlsx([
        row("第三条第（三）项", "停车位不够，建议增加。", "修改", "增加停车位。", "居民反映强烈", "居民", "王芳", "东城区", "4"),
        row("第三条", "赞成。", "同意", category="企业", name="某公司"),
        row("", "总体赞成。", "", category=""),
        row("第四条第二款第（三）项", "微信群不宜作为公布方式。", "反对", reason="不正式", category="律师",
            name="王 芳", represented="2人"),
        row("第二条第二款", "社区议事应当公开到小区。", "其他", category="人大代表", region="西城区"),
    ])


def _token(user) -> dict:
    _record, secret = accounts.issue_api_token(user, name="批次接口")
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _through_the_web(client, login, user, point, draft, data) -> int:
    login(user)
    response = client.post(f"/batches/points/{point.id}/new", data=upload_form(point.id, draft.id, data),
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    preview = response.headers["Location"]
    assert client.get(preview).status_code == 200
    confirmed = client.post(preview + "/confirm")
    assert confirmed.status_code == 303
    client.post("/logout")
    return int(confirmed.headers["Location"].rsplit("/", 1)[1])


def _through_the_api(client, user, point, draft, data) -> int:
    form = {"draft": str(draft.id), "kind": "forum", "date": "2026-01-05", "place": "社区活动室",
            "participants": "30", "file": (io.BytesIO(data), "意见.xlsx")}
    response = client.post(f"/api/v1/liaison-points/{point.id}/batches", data=form, headers=_token(user),
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _stored(batch_id: int) -> tuple[dict, list[dict]]:
    """The batch's columns and its opinions' columns (by row), without what differs by
    channel; a submitter key is compared without its point and receipt."""
    db.session.rollback()
    batch = db.session.get(Batch, batch_id)
    opinions = db.session.scalars(select(Opinion).where(Opinion.batch_id == batch_id).order_by(Opinion.batch_row))
    batch_columns = {column.name: getattr(batch, column.key) for column in Batch.__table__.columns
                     if column.name not in _BATCH_SKIPPED and not column.name.endswith("_at")}
    rows = []
    for opinion in opinions:
        values = {column.name: getattr(opinion, column.key) for column in Opinion.__table__.columns
                  if column.name not in _OPINION_SKIPPED and not column.name.endswith("_at")}
        key = opinion.submitter_key.replace(f"lp:{batch.liaison_point_id}:", "lp:*:")
        values["submitter_key"] = key.replace(opinion.receipt_code, "*")
        rows.append(values)
    return batch_columns, rows


def test_web_and_api_store_the_same_batch(client, login, make_point, make_user, draft, xlsx):
    data = _table(xlsx)
    web_point, api_point = make_point("和平街道联系点"), make_point("明理律所联系点")
    web_user = make_user("operator", liaison_point=web_point)
    api_user = make_user("operator", liaison_point=api_point)
    web = _stored(_through_the_web(client, login, web_user, web_point, draft, data))
    api = _stored(_through_the_api(client, api_user, api_point, draft, data))
    assert len(web[1]) == 5 and web[0]["row_count"] == 5 and web[0]["represented_total"] == 9
    assert web[0] == api[0]
    for web_row, api_row in zip(web[1], api[1], strict=True):
        assert web_row == api_row
    # Named speakers are counted by name at their point, the same way on both channels.
    assert web[1][0]["submitter_key"] == web[1][3]["submitter_key"] != web[1][2]["submitter_key"]


def _age(path, hours: float) -> None:
    old = time.time() - hours * 3600
    os.utime(path, (old, old))


def test_the_api_purges_stale_uploads_too(app, client, operator, point, draft, xlsx):
    directory = uploads.uploads_dir()
    orphan = directory / f"{'0' * 64}.xlsx"
    orphan.write_bytes(b"a preview never confirmed")
    stale = directory / "pending" / ("p" * 24 + ".json")
    stale.parent.mkdir(exist_ok=True)
    stale.write_text(json.dumps({"stored_file": orphan.name}), encoding="utf-8")
    young = directory / f"{'1' * 64}.csv"
    young.write_bytes(b"uploaded a moment ago")
    for path in (orphan, stale):
        _age(path, app.config["BATCH_PENDING_UPLOAD_HOURS"] + 1)
    batch_id = _through_the_api(client, operator, point, draft, xlsx([row()]))
    assert not orphan.exists() and not stale.exists() and young.exists()
    assert (directory / db.session.get(Batch, batch_id).stored_file).exists()


def _kept_tables() -> set[str]:
    return {path.name for path in uploads.uploads_dir().iterdir()
            if path.is_file() and re.fullmatch(r"[0-9a-f]{64}\.(xlsx|csv)", path.name)}


@pytest.mark.parametrize("content", ["wrong rows", "not a table"])
def test_the_api_refuses_an_invalid_file_without_keeping_it(client, operator, point, draft, xlsx, content):
    data = xlsx([row("第九十九条", "")]) if content == "wrong rows" else b"\x00\x01 plainly not a spreadsheet"
    form = {"draft": str(draft.id), "kind": "forum", "date": "2026-01-05", "file": (io.BytesIO(data), "意见.xlsx")}
    response = client.post(f"/api/v1/liaison-points/{point.id}/batches", data=form, headers=_token(operator),
                           content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["errors"]
    assert _kept_tables() == set()
    db.session.rollback()
    assert db.session.scalar(select(Batch.id)) is None
