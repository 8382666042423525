"""Read helpers behind the opinion pages: clause citations and subtrees."""
from __future__ import annotations

from participation import queries
from participation.extensions import db
from participation.services import opinions as service

ANNEXED = """# 带附件的条例

第一条 为了测试，制定本条例。

第二条 有关部门应当：

（一）制定规划；

（二）组织实施。

本条所称部门，包括：

（一）甲；

（二）乙，包括：

1. 子目一；

2. 子目二。

第十条之一 插入的条文。

## 附件 清单

本清单包括：

（一）第一项；

（二）第二项。
"""


def test_citations_follow_legal_usage(make_draft):
    draft = make_draft(ANNEXED, title="带附件的条例")
    version = draft.current_version.id
    keys = ["art.1", "art.1.1", "art.2", "art.2.1.1", "art.2.2", "art.2.2.2.1", "art.10-1", "annex.1",
            "annex.1.1", "annex.1.1.2", "art.99"]
    citations = queries.clause_citations((version, key) for key in keys)
    assert citations[(version, "art.1")] == "第一条"
    assert citations[(version, "art.1.1")] == "第一条第一款"  # asked for the paragraph itself
    assert citations[(version, "art.2.1.1")] == "第二条第一款第（一）项"
    assert citations[(version, "art.2.2")] == "第二条第二款"
    assert citations[(version, "art.2.2.2.1")] == "第二条第二款第（二）项第1目"
    assert citations[(version, "art.10-1")] == "第十条之一"
    assert citations[(version, "annex.1.1.2")].endswith("第（二）项")
    assert citations[(version, "annex.1.1.2")].startswith("附件")
    assert citations[(version, "art.99")] == "art.99"
    assert queries.clause_citation(version, None) == ""


def test_a_one_paragraph_article_does_not_name_its_paragraph(make_draft):
    draft = make_draft()
    version = draft.current_version.id
    assert queries.clause_citation(version, "art.3.1.2") == "第三条第（二）项"


def test_subtrees_and_their_ids(make_draft):
    draft = make_draft(ANNEXED, title="带附件的条例")
    article = queries.find_provision(draft.current_version.id, "art.2")
    node = queries.provision_subtree(article)
    assert node.key == "art.2" and [child.key for child in node.children] == ["art.2.1", "art.2.2"]
    keys = {row.key for row in [article] + [db.session.get(type(article), i)
                                             for i in queries.subtree_ids(article)]}
    assert "art.2.2.2.1" in keys and "art.10-1" not in keys and "art.1" not in keys
    last = queries.find_provision(draft.current_version.id, "annex.1.1.2")
    assert queries.subtree_ids(last) == [last.id]  # the end of the text


def test_form_tokens_are_namespaced_and_checked():
    token = service.new_form_token()
    assert service.form_submission_token(token) == "form:" + token
    for bad in (None, "", "short", "x" * 65, "api:1:key-abcdefghijklmn", "a b c d e f g h i j k"):
        assert service.form_submission_token(bad) is None
