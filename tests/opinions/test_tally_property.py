"""The tally equals a brute-force count over any random history of submissions,
moderation changes and deletions."""
from __future__ import annotations

from collections import Counter, defaultdict

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from participation.extensions import db
from participation.models import Opinion, Provision
from participation.services import opinions as service
from participation.tally import compute_tally

STANCES = ["support", "oppose", "amend", "add", "delete", "other"]
CATEGORIES = ["citizen", "organisation", "expert"]

actions = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.integers(0, 40), st.sampled_from(STANCES), st.sampled_from(CATEGORIES), st.integers(0, 4)),
        st.tuples(st.just("hide"), st.integers(0, 10_000)),
        st.tuples(st.just("publish"), st.integers(0, 10_000)),
        st.tuples(st.just("delete"), st.integers(0, 10_000)),
    ),
    min_size=1, max_size=40,
)


def brute_force(version_id):
    rows = db.session.scalars(select(Opinion).where(Opinion.version_id == version_id)).all()
    provisions = {p.id: p for p in db.session.scalars(select(Provision).where(Provision.version_id == version_id))}

    def ancestors(pid):
        while pid is not None:
            yield provisions[pid].key
            pid = provisions[pid].parent_id

    totals, hidden, stances, categories, submitters = Counter(), Counter(), defaultdict(Counter), defaultdict(Counter), defaultdict(set)
    for row in rows:
        keys = list(ancestors(row.provision_id)) + ["*"]
        for key in keys:
            if row.moderation_state == "hidden":
                hidden[key] += 1
                continue
            totals[key] += 1
            stances[key][row.stance] += 1
            categories[key][row.category] += 1
            submitters[key].add(row.submitter_key)
    return totals, hidden, stances, categories, submitters


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=actions)
def test_tally_matches_brute_force(app, make_draft, make_user, frozen_now, history):
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    draft = make_draft(published=True)
    authors = [make_user("citizen") for _ in range(5)]
    staff = make_user("staff")
    keys = [None] + [p.key for p in db.session.scalars(
        select(Provision).where(Provision.version_id == draft.current_version.id).order_by(Provision.position))
        if p.kind in ("article", "paragraph", "item")]
    stored: list[Opinion] = []
    for action in history:
        if action[0] == "submit":
            _, key_index, stance, category, author_index = action
            opinion, _created = service.submit_opinion(
                draft, service.OpinionInput(body="意见", stance=stance, category=category,
                                            provision_key=keys[key_index % len(keys)]),
                author=authors[author_index], now=frozen_now.now)
            stored.append(opinion)
        elif stored:
            opinion = stored[action[1] % len(stored)]
            if action[0] == "hide":
                service.hide_opinion(opinion, reason="测试", by=staff, now=frozen_now.now)
            elif action[0] == "publish":
                service.publish_opinion(opinion, by=staff, now=frozen_now.now)
            else:
                db.session.delete(opinion)
                stored.remove(opinion)
        db.session.commit()

    tally = compute_tally(draft.id, draft.current_version.id)
    totals, hidden, stances, categories, submitters = brute_force(draft.current_version.id)
    assert tally.overall.total == totals["*"]
    assert tally.overall.hidden == hidden["*"]
    assert tally.overall.submitters == len(submitters["*"])
    assert dict(tally.overall.by_stance) == dict(stances["*"])
    for clause in tally.provisions:
        assert clause.total == totals[clause.key], clause.key
        assert clause.hidden == hidden[clause.key], clause.key
        assert dict(clause.by_stance) == dict(stances[clause.key]), clause.key
        assert dict(clause.by_category) == dict(categories[clause.key]), clause.key
        assert clause.submitters == len(submitters[clause.key]), clause.key
