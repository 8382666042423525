"""An item of a one-paragraph article is cited 第三条第（二）项 everywhere: on the pages,
in the API, in search (hit and indexed text), in the batch template's clause list and in
the batch feedback workbook — all written by participation.citations.write_citation.
(Search used to print 第三条第一款第（二）项.)"""
from __future__ import annotations

import io
import os
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import search
from participation.extensions import db
from participation.models import Opinion
from participation.batches import uploads, workbooks
from search import documents
from tests.batches.conftest import row

pytestmark = pytest.mark.usefixtures("zh")

CITATION = "第三条第（二）项"  # SAMPLE_DRAFT's article 3 has one paragraph with items


def test_a_one_paragraph_articles_item_is_cited_alike_everywhere(app, client, make_draft, import_file, xlsx):
    sample = make_draft(published=True)  # tests/conftest.py SAMPLE_DRAFT
    sample.shows_opinions_publicly = True
    db.session.commit()
    batch, _created = import_file(xlsx([row(CITATION, "建议增加社区停车位。", "修改")]), target_draft=sample)
    opinion = db.session.scalar(select(Opinion).where(Opinion.batch_id == batch.id))
    assert opinion.provision_key == "art.3.1.2"
    opinion.moderation_state = "published"
    db.session.commit()
    seen = {}

    listing = client.get(f"/drafts/{sample.id}/opinions").get_data(as_text=True)
    seen["draft listing page"] = re.search(r'class="opinion-clause">([^<]*)<', listing).group(1).strip()
    clause_page = client.get(f"/drafts/{sample.id}/provisions/art.3.1.2/opinions").get_data(as_text=True)
    seen["clause page"] = re.search(r"<h1>([^<]*)的公众意见</h1>", clause_page).group(1).strip()

    api = client.get(f"/api/v1/drafts/{sample.id}/provisions/art.3/opinions").get_json()
    seen["API opinion"] = api["items"][0]["provision_label"]
    seen["API clause"] = client.get(f"/api/v1/drafts/{sample.id}/provisions/art.3.1.2/opinions").get_json()[
        "provision"]["label"]

    assert search.drain(app).ok
    hits = client.get("/api/v1/search", query_string={"q": "停车位", "draft": sample.id, "type": "opinion"}).get_json()
    seen["search hit"] = hits["hits"][0]["provision"]["label"]
    tree = documents.VersionTrees(db.session.connection()).get(opinion.version_id)
    seen["search indexed text"] = tree.citation(opinion.provision_id)

    clause_list = load_workbook(io.BytesIO(workbooks.template_workbook(sample)))["条款列表"]
    seen["batch template"] = next(cells[0] for cells in clause_list.iter_rows(values_only=True)
                                  if cells[1] == "art.3.1.2")
    os.remove(uploads.uploads_dir() / batch.stored_file)  # the feedback sheet then cites each clause itself
    feedback = list(load_workbook(io.BytesIO(workbooks.feedback_workbook(batch))).active.iter_rows(values_only=True))
    seen["batch feedback workbook"] = feedback[1][0]

    assert seen == dict.fromkeys(seen, CITATION)


def test_the_indexed_opinion_carries_the_canonical_citation(app, make_draft, import_file, xlsx):
    sample = make_draft(published=True)
    batch, _created = import_file(xlsx([row(CITATION, "建议增加社区停车位。", "修改")]), target_draft=sample)
    opinion = db.session.scalar(select(Opinion).where(Opinion.batch_id == batch.id))
    connection = db.session.connection()
    document = documents.opinion_documents(connection, [opinion.id])[opinion.id]
    assert CITATION in document["parts"] and "第三条第一款第（二）项" not in document["parts"]
