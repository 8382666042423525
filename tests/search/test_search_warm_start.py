"""A fresh gunicorn worker has loaded jieba's dictionaries before it serves
(gunicorn.conf.py's post_worker_init): its very first search is complete, not cut short
by the time budget while the dictionaries load (1.4-2.9 s, issue 13)."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from participation.extensions import db
from tests.live_server import Gunicorn, server_env

pytestmark = pytest.mark.slow


def test_the_first_search_of_a_fresh_worker_is_complete(app, app_config, database_url, public_draft, make_opinion,
                                                         drain, tmp_path):
    opinion = make_opinion(public_draft, "刚启动的进程第一次搜索：社区食堂的营业时间。")
    drain()  # the index exists and nothing waits: only a cold analyser could make it incomplete
    db.session.rollback()
    # A new instance folder next to the index: jieba's dictionary cache is not there yet,
    # as on a first deployment.
    env = server_env(database_url=database_url, instance=tmp_path / "fresh-instance", secret_key=app.config["SECRET_KEY"],
                     SEARCH_INDEX_PATH=app.config["SEARCH_INDEX_PATH"], SEARCH_INDEXER="external",
                     RATELIMIT_ENABLED="0",
                     # Tighter than the default 1 s, so that the test does not depend on how
                     # loaded the machine is: loading the dictionaries takes longer than this
                     # (0.5 s from jieba's cache on an idle machine, seconds to build the
                     # cache of a new instance), a search of this small index milliseconds.
                     SEARCH_TIME_BUDGET_SECONDS="0.3")
    with Gunicorn(env, tmp_path / "gunicorn.log", workers=1) as server:
        query = urllib.parse.urlencode({"q": "社区食堂"})
        with urllib.request.urlopen(f"{server.base_url}/api/v1/search?{query}", timeout=60) as response:
            answer = json.load(response)
        log = server.log()
    assert answer["complete"] is True, (answer, log[-3000:])
    assert [hit["id"] for hit in answer["hits"] if hit["type"] == "opinion"] == [opinion.id]
