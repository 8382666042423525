"""Fixtures for liaison-point batches: a draft whose items sit in its second paragraph
(so that 第N条第（三）项 must be resolved against the real tree), points with their
operators, tables in every form people upload, and helpers to post them."""
from __future__ import annotations

import io
import re

import pytest
from flask_babel import force_locale

from bench.batch_data import HEADERS, excel_like_xlsx
from participation.extensions import db

# Article 3's items are in its SECOND paragraph; article 4 has items in two paragraphs.
BATCH_DRAFT = """# 某市社区议事条例（草案）

## 第一章 总则

第一条 为了规范社区议事，制定本条例。

第二条 本条例适用于本市社区。

社区议事应当公开。

## 第二章 议事

第三条 居民委员会应当组织议事。

议事会议讨论下列事项：

（一）公共设施维护；

（二）环境卫生；

（三）停车管理。

第四条 议事会议由下列人员参加：

（一）居民代表；

（二）物业代表。

议事结果应当公布，公布方式包括：

（一）公告栏；

（二）网络平台；

（三）居民微信群。

## 第三章 附则

第五条 本条例自2027年1月1日起施行。
"""

_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def row(provision="第一条", body="建议增加议事频次。", stance="赞成", proposed="", reason="", category="居民",
        name="", region="", represented="") -> list:
    return [provision, body, stance, proposed, reason, category, name, region, represented]


@pytest.fixture
def zh(app):
    with force_locale("zh_CN"):
        yield


@pytest.fixture
def draft(make_draft, frozen_now):
    """Open for 30 days from the frozen now."""
    return make_draft(BATCH_DRAFT, title="某市社区议事条例（草案）", published=True)


@pytest.fixture
def make_point(app):
    from participation.services.liaison import create_liaison_point

    counter = {"n": 0}

    def make(name=None, region="东城区"):
        counter["n"] += 1
        point = create_liaison_point(name=name or f"联系点{counter['n']}", region=region)
        db.session.commit()
        return point

    return make


@pytest.fixture
def point(make_point):
    return make_point("和平街道基层立法联系点")


@pytest.fixture
def operator(make_user, point):
    return make_user("operator", liaison_point=point)


@pytest.fixture
def staff(make_user):
    return make_user("staff")


@pytest.fixture
def xlsx():
    """An .xlsx of data rows (Excel's layout), with the canonical header unless given."""

    def make(rows, header=None, **kwargs):
        return excel_like_xlsx(rows, header=header or HEADERS, **kwargs)

    return make


@pytest.fixture
def activity():
    from datetime import date

    from participation.batches import Activity

    return Activity(kind="forum", date=date(2026, 1, 5), place="社区活动室", participants=30)


@pytest.fixture
def import_file(app, draft, point, operator, activity, frozen_now):
    """Check and store a file through the two calls the web confirm step and the API
    make; returns (batch, created)."""
    from participation import batches

    def run(data, filename="意见.xlsx", *, user=None, target_point=None, target_draft=None, act=None, key=None,
            commit=True):
        checked = batches.check(batches.FileSource(data, filename), target_draft or draft, target_point or point)
        result = batches.store(checked, act or activity, user or operator, frozen_now.now, idempotency_key=key)
        if commit:
            db.session.commit()
        return result

    return run


def csrf_token(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def upload_form(point_id, draft_id, data, filename="意见.xlsx", **fields):
    form = {"draft": str(draft_id), "kind": "forum", "date": "2026-01-05", "place": "社区活动室",
            "participants": "30", "file": (io.BytesIO(data), filename)}
    form.update(fields)
    return form
