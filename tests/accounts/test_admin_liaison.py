"""Administration of 基层立法联系点."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.models import LiaisonPoint
from participation.services import accounts
from tests.accounts.conftest import text


@pytest.fixture
def staff_client(client, make_user, login):
    login(make_user("staff"))
    return client


def point_named(name):
    return db.session.scalar(select(LiaisonPoint).where(LiaisonPoint.name == name))


def test_create_a_point(staff_client):
    response = staff_client.post("/admin/liaison-points/new", data={
        "name": "  东城街道基层立法联系点 ", "region": "东城区", "address": "东城大道1号"})
    assert response.status_code == 302
    point = point_named("东城街道基层立法联系点")
    assert point.region == "东城区" and point.address == "东城大道1号" and point.is_active
    assert response.headers["Location"] == f"/admin/liaison-points/{point.id}"
    body = text(staff_client.get(response.headers["Location"]))
    assert "已创建联系点" in body and "该联系点还没有信息员" in body and "添加信息员" in body


@pytest.mark.parametrize("data,message", [
    ({"name": ""}, "请填写联系点名称"),
    ({"name": "   "}, "请填写联系点名称"),
    ({"name": "已有的联系点"}, "已有同名的联系点"),
    ({"name": "名" * 201}, "字段长度不能超过 200 个字符"),
    ({"name": "新联系点", "region": "区" * 101}, "字段长度不能超过 100 个字符"),
])
def test_create_errors(staff_client, make_point, data, message):
    make_point("已有的联系点")
    response = staff_client.post("/admin/liaison-points/new", data=data)
    assert response.status_code == 422
    assert message in text(response)


def test_list_shows_operator_counts_and_is_paginated(staff_client, make_point, make_user, fast_hashing):
    busy = make_point("甲联系点")
    make_point("乙联系点")
    for _index in range(3):
        make_user("operator", liaison_point=busy)
    body = text(staff_client.get("/admin/liaison-points"))
    row = re.search(r"甲联系点</a></td>.*?</tr>", body, re.S).group(0)
    assert '<td class="num">3</td>' in row
    row = re.search(r"乙联系点</a></td>.*?</tr>", body, re.S).group(0)
    assert '<td class="num">0</td>' in row

    for index in range(35):
        make_point(f"批量联系点{index:02d}")
    first = text(staff_client.get("/admin/liaison-points"))
    assert len(re.findall(r'href="/admin/liaison-points/\d+"', first)) == 30
    assert "第 1 / 2 页" in first
    second = text(staff_client.get("/admin/liaison-points?page=2"))
    assert len(re.findall(r'href="/admin/liaison-points/\d+"', second)) == 7


def test_detail_lists_its_operators(staff_client, make_point, make_user, fast_hashing):
    point = make_point("丙联系点")
    other = make_point("丁联系点")
    mine = make_user("operator", liaison_point=point, display_name="信息员小李")
    theirs = make_user("operator", liaison_point=other, display_name="别处的信息员")
    body = text(staff_client.get(f"/admin/liaison-points/{point.id}"))
    assert "信息员小李" in body and mine.email in body
    assert "别处的信息员" not in body and theirs.email not in body
    assert "信息员（1）" in body
    for _index in range(31):
        make_user("operator", liaison_point=point)
    body = text(staff_client.get(f"/admin/liaison-points/{point.id}?page=2"))
    assert "信息员（32）" in body and "第 2 / 2 页" in body


def test_edit_and_deactivate(staff_client, make_point):
    point = make_point("戊联系点")
    form = text(staff_client.get(f"/admin/liaison-points/{point.id}/edit"))
    assert 'value="戊联系点"' in form and "checked" in form
    response = staff_client.post(f"/admin/liaison-points/{point.id}/edit", data={
        "name": "戊社区基层立法联系点", "region": "北区", "address": "北路 2 号"})
    assert response.status_code == 302
    db.session.refresh(point)
    assert (point.name, point.region, point.address, point.is_active) == ("戊社区基层立法联系点", "北区", "北路 2 号", False)
    body = text(staff_client.get(f"/admin/liaison-points/{point.id}"))
    assert "已停用" in body and "不能再添加信息员" in body and "添加信息员</a>" not in body
    staff_client.post(f"/admin/liaison-points/{point.id}/edit", data={"name": point.name, "is_active": "y"})
    db.session.refresh(point)
    assert point.is_active


def test_rename_to_an_existing_name_is_refused(staff_client, make_point):
    make_point("己联系点")
    point = make_point("庚联系点")
    response = staff_client.post(f"/admin/liaison-points/{point.id}/edit", data={"name": "己联系点", "is_active": "y"})
    assert response.status_code == 422 and "已有同名的联系点" in text(response)
    db.session.refresh(point)
    assert point.name == "庚联系点"
    # Keeping its own name is fine.
    assert staff_client.post(f"/admin/liaison-points/{point.id}/edit", data={
        "name": "庚联系点", "is_active": "y"}).status_code == 302


def test_deactivated_point_keeps_its_operators_signed_in(staff_client, make_point, make_user, new_client):
    point = make_point("辛联系点")
    operator = make_user("operator", liaison_point=point)
    session = new_client(operator)
    staff_client.post(f"/admin/liaison-points/{point.id}/edit", data={"name": point.name})
    assert session.get("/account/").status_code == 200
    db.session.refresh(operator)
    assert operator.liaison_point_id == point.id and accounts.find_user_by_email(operator.email).is_enabled
