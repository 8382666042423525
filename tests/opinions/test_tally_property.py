"""The tally equals a brute-force count over any random history of submissions,
moderation changes and deletions."""
from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, select, update

from participation.extensions import db
from participation.models import Opinion, Provision
from participation.services import opinions as service
from participation.tally import upkeep as tally_upkeep
from participation.tally.compute import compute_tally
from participation.tally.report_numbers import report_numbers

STANCES = ["support", "oppose", "amend", "add", "delete", "other"]
CATEGORIES = ["citizen", "organisation", "expert"]
DISPOSITIONS = ["pending", "adopted", "partly_adopted", "not_adopted", "already_provided", "out_of_scope", "for_study"]

actions = st.lists(
    st.one_of(
        st.tuples(st.just("submit"), st.integers(0, 40), st.sampled_from(STANCES), st.sampled_from(CATEGORIES), st.integers(0, 4)),
        st.tuples(st.just("hide"), st.integers(0, 10_000)),
        st.tuples(st.just("publish"), st.integers(0, 10_000)),
        # Held for review, as under 先审核、后公开 (one opinion, or the draft's mode for the next submissions).
        st.tuples(st.just("hold"), st.integers(0, 10_000)),
        st.tuples(st.just("mode"), st.sampled_from(["pre", "post"])),
        st.tuples(st.just("delete"), st.integers(0, 10_000)),
        st.tuples(st.just("dispose"), st.integers(0, 10_000), st.sampled_from(DISPOSITIONS)),
        # One UPDATE statement over every opinion whose id ≡ remainder (mod modulus).
        st.tuples(st.just("bulk"), st.integers(1, 3), st.integers(0, 2), st.sampled_from(DISPOSITIONS)),
    ),
    min_size=1, max_size=40,
)


def assert_report_numbers_match(tally):
    """The feedback report sums the counts its own way (participation.tally.report_numbers):
    the same numbers as the tally, clause by clause and for the draft."""
    numbers = report_numbers(tally.version_id)
    assert [row.numbers.key for row in numbers.provisions] == [clause.key for clause in tally.provisions]
    pairs = [*((clause, row.numbers) for clause, row in zip(tally.provisions, numbers.provisions)),
             (tally.whole_draft, numbers.whole_draft)]
    for clause, mine in pairs:
        assert (mine.total, dict(mine.by_disposition)) == (clause.total, dict(clause.by_disposition)), clause.key
    overall, mine = tally.overall, numbers.overall
    assert (mine.total, mine.submitters, mine.represented, dict(mine.by_disposition), dict(mine.by_channel),
            dict(mine.by_category)) == (overall.total, overall.submitters, overall.represented,
                                        dict(overall.by_disposition), dict(overall.by_channel), dict(overall.by_category))


def brute_force_dispositions(version_id, published_only=False):
    """Opinions not hidden by disposition, per clause key rolled up ("*": the draft)."""
    rows = db.session.scalars(select(Opinion).where(Opinion.version_id == version_id)).all()
    if published_only:
        rows = [row for row in rows if row.moderation_state != "pending"]
    provisions = {p.id: p for p in db.session.scalars(select(Provision).where(Provision.version_id == version_id))}
    counts = defaultdict(Counter)
    for row in rows:
        if row.moderation_state == "hidden":
            continue
        pid, keys = row.provision_id, ["*"]
        while pid is not None:
            keys.append(provisions[pid].key)
            pid = provisions[pid].parent_id
        for key in keys:
            counts[key][row.disposition] += 1
    return counts


def brute_force(version_id, published_only=False):
    """Counts over the opinion rows; ``published_only``: the public reading, where
    pending opinions count nowhere (hidden ones are counted as hidden either way)."""
    rows = db.session.scalars(select(Opinion).where(Opinion.version_id == version_id)).all()
    if published_only:
        rows = [row for row in rows if row.moderation_state != "pending"]
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


@pytest.fixture
def tally_world(app, frozen_now, make_draft, make_user):
    """One draft and its people for every example (examples only add opinions)."""
    draft = make_draft(published=True)
    authors = [make_user("citizen") for _ in range(5)]
    staff = make_user("staff")
    keys = [None] + [p.key for p in db.session.scalars(
        select(Provision).where(Provision.version_id == draft.current_version.id).order_by(Provision.position))
        if p.kind in ("article", "paragraph", "item")]
    return draft, authors, staff, keys


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=actions)
def test_tally_matches_brute_force(tally_world, frozen_now, history):
    draft, authors, staff, keys = tally_world
    db.session.execute(delete(Opinion))
    draft.moderation_mode = "post"
    db.session.commit()
    stored: list[Opinion] = []
    for action in history:
        if action[0] == "submit":
            _, key_index, stance, category, author_index = action
            submitted = service.submit_opinion(
                draft, service.OpinionInput(body="意见", stance=stance, category=category,
                                            provision_key=keys[key_index % len(keys)]),
                author=authors[author_index], now=frozen_now.now)
            opinion = db.session.get(Opinion, submitted.id)
            stored.append(opinion)
        elif action[0] == "mode":
            draft.moderation_mode = action[1]
        elif stored:
            opinion = stored[action[1] % len(stored)]
            if action[0] == "hide":
                service.hide_opinion(opinion, reason="测试", by=staff, now=frozen_now.now)
            elif action[0] == "publish":
                service.publish_opinion(opinion, by=staff, now=frozen_now.now)
            elif action[0] == "hold":
                opinion.moderation_state = "pending"
            elif action[0] == "dispose":
                opinion.disposition = action[2]
            elif action[0] == "bulk":
                _, modulus, remainder, disposition = action
                db.session.flush()
                db.session.execute(update(Opinion).where(Opinion.id % modulus == remainder % modulus)
                                   .values(disposition=disposition).execution_options(synchronize_session=False))
                db.session.expire_all()
            else:
                db.session.delete(opinion)
                stored.remove(opinion)
        db.session.commit()

    for published_only in (False, True):
        assert_tally_matches(draft, published_only)
    assert tally_upkeep.check_version(draft.current_version.id) == []


def assert_tally_matches(draft, published_only):
    tally = compute_tally(draft.id, draft.current_version.id, published_only=published_only)
    totals, hidden, stances, categories, submitters = brute_force(draft.current_version.id, published_only)
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
    by_disposition = brute_force_dispositions(draft.current_version.id, published_only)
    assert dict(tally.overall.by_disposition) == dict(by_disposition["*"])
    for clause in tally.provisions:
        assert dict(clause.by_disposition) == dict(by_disposition[clause.key]), clause.key
    if not published_only:
        assert_report_numbers_match(tally)


# --- Liaison-point batches (issue 4) ----------------------------------------------------

BATCH_STANCES = ["赞成", "反对", "修改", "", "support"]
BATCH_CATEGORIES = ["居民", "企业", "律师", "人大代表", ""]

batch_rows = st.lists(
    st.tuples(st.integers(0, 40), st.sampled_from(BATCH_STANCES), st.sampled_from(BATCH_CATEGORIES),
              st.sampled_from(["", "王芳", "李强", "王 芳"]), st.integers(1, 9)),
    min_size=1, max_size=6,
)
batch_history = st.lists(
    st.one_of(
        st.tuples(st.just("batch"), st.integers(0, 1), batch_rows),
        st.tuples(st.just("submit"), st.integers(0, 40), st.sampled_from(STANCES), st.integers(0, 2)),
        st.tuples(st.just("hide"), st.integers(0, 10_000)),
    ),
    min_size=1, max_size=12,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=batch_history)
def test_tally_with_batches_matches_brute_force(app, make_draft, make_user, frozen_now, history):
    """Batches from two points mixed with single opinions and hiding: counts, people
    represented, distinct submitters and the by-point breakdown equal a brute-force
    count over the rows."""
    from datetime import date

    from participation import batches
    from participation.batches.citations import VersionClauses
    from participation.services.liaison import create_liaison_point

    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    draft = make_draft(published=True)
    points = [create_liaison_point(name=f"联系点{n}") for n in range(2)]
    operators = [make_user("operator", liaison_point=point) for point in points]
    authors = [make_user("citizen"), make_user("deputy"), operators[0]]
    staff = make_user("staff")
    clauses = VersionClauses(draft.current_version.id)
    citations = ["总体意见"] + [choice.citation for choice in clauses.choices()[1:]]
    keys = [None] + [p.key for p in db.session.scalars(
        select(Provision).where(Provision.version_id == draft.current_version.id).order_by(Provision.position))
        if p.kind in ("article", "paragraph", "item")]
    activity = batches.Activity(kind="forum", date=date(2026, 1, 5))
    stored: list[Opinion] = []
    for number, action in enumerate(history):
        if action[0] == "batch":
            _, point_index, rows = action
            items = [{
                "provision": citations[clause % len(citations)], "body": f"意见{number}-{n}", "stance": stance,
                "category": category, "name": name, "represented": represented}
                for n, (clause, stance, category, name, represented) in enumerate(rows)]
            checked = batches.check(batches.JsonSource(items), draft, points[point_index])
            batch, created = batches.store(checked, activity, operators[point_index], frozen_now.now)
            assert created
            stored.extend(db.session.scalars(select(Opinion).where(Opinion.batch_id == batch.id)))
        elif action[0] == "submit":
            _, key_index, stance, author_index = action
            submitted = service.submit_opinion(
                draft, service.OpinionInput(body="意见", stance=stance, provision_key=keys[key_index % len(keys)]),
                author=authors[author_index], now=frozen_now.now)
            opinion = db.session.get(Opinion, submitted.id)
            stored.append(opinion)
        elif stored:
            service.hide_opinion(stored[action[1] % len(stored)], reason="测试", by=staff, now=frozen_now.now)
        db.session.commit()

    tally = compute_tally(draft.id, draft.current_version.id)
    totals, hidden, stances, categories, submitters = brute_force(draft.current_version.id)
    rows = db.session.scalars(select(Opinion).where(Opinion.version_id == draft.current_version.id)).all()
    provisions = {p.id: p for p in db.session.scalars(select(Provision).where(Provision.version_id == draft.current_version.id))}
    via, represented = defaultdict(Counter), Counter()
    for opinion in rows:
        if opinion.moderation_state == "hidden":
            continue
        pid, keys_up = opinion.provision_id, ["*"]
        while pid is not None:
            keys_up.append(provisions[pid].key)
            pid = provisions[pid].parent_id
        for key in keys_up:
            represented[key] += opinion.represented_count
            if opinion.liaison_point_id is not None:
                via[key][opinion.liaison_point_id] += 1
    assert tally.overall.total == totals["*"] and tally.overall.hidden == hidden["*"]
    assert tally.overall.submitters == len(submitters["*"])
    assert tally.overall.represented == represented["*"]
    assert dict(tally.overall.by_category) == dict(categories["*"])
    assert dict(tally.overall.by_liaison_point) == dict(via["*"])
    for clause in tally.provisions:
        assert clause.total == totals[clause.key], clause.key
        assert dict(clause.by_stance) == dict(stances[clause.key]), clause.key
        assert dict(clause.by_category) == dict(categories[clause.key]), clause.key
        assert dict(clause.by_liaison_point) == dict(via[clause.key]), clause.key
        assert clause.represented == represented[clause.key], clause.key
        assert clause.submitters == len(submitters[clause.key]), clause.key
    assert_report_numbers_match(tally)
