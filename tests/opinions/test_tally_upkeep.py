"""The counts the tally reads are kept by database triggers: whatever changes the opinion
rows (the services, bulk SQL, cascades), they equal a count from scratch, and the
``flask tally check`` / ``rebuild`` commands find and repair a database whose triggers
were lost."""
from __future__ import annotations

from sqlalchemy import delete, func, select, text, update

from participation.tally import upkeep as tally_upkeep
from participation.extensions import db
from participation.models import (
    Draft, Opinion, Provision, TallyCount, TallyDisposition, TallyNode, TallySubmitter, TallyVersion,
)
from participation.services import opinions as service
from participation.tally.compute import compute_tally, recompute_tally


def _clause_keys(draft):
    return [None] + list(db.session.scalars(
        select(Provision.key).where(Provision.version_id == draft.current_version.id,
                                    Provision.kind.in_(("article", "paragraph", "item")))
        .order_by(Provision.position)))


def _submit_some(draft, authors, now, count=24):
    keys = _clause_keys(draft)
    stored = []
    for n in range(count):
        submitted = service.submit_opinion(
            draft, service.OpinionInput(body=f"意见{n}", stance=["support", "oppose", "amend"][n % 3],
                                        category=["citizen", "expert"][n % 2], provision_key=keys[(n * 7) % len(keys)]),
            author=authors[n % len(authors)], now=now)
        opinion = db.session.get(Opinion, submitted.id)
        stored.append(opinion)
    db.session.commit()
    return stored


def _same_tally(draft):
    """Both readings (staff: every opinion received; public: published only) equal a
    count from the opinion rows; returns the staff reading."""
    version_id = draft.current_version.id
    kept = compute_tally(draft.id, version_id).as_dict()
    counted = recompute_tally(draft.id, version_id).as_dict()
    assert kept == counted
    assert compute_tally(draft.id, version_id, published_only=True).as_dict() == \
        recompute_tally(draft.id, version_id, published_only=True).as_dict()
    assert tally_upkeep.check_version(version_id) == []
    return kept


def test_counts_follow_services_and_bulk_sql(app, frozen_now, make_draft, make_user):
    draft = make_draft(published=True)
    authors = [make_user("citizen") for _ in range(4)]
    staff = make_user("staff")
    stored = _submit_some(draft, authors, frozen_now.now)
    kept = _same_tally(draft)
    assert kept["total"] == 24

    service.hide_opinion(stored[0], reason="测试", by=staff, now=frozen_now.now)
    service.hide_opinion(stored[1], reason="测试", by=staff, now=frozen_now.now)
    service.publish_opinion(stored[1], by=staff, now=frozen_now.now)
    db.session.commit()
    assert _same_tally(draft)["hidden"] == 1

    # Bulk SQL the ORM never sees: a stance change, a move to the whole draft, a delete.
    db.session.execute(update(Opinion).where(Opinion.id.in_([o.id for o in stored[2:8]])).values(stance="delete"))
    db.session.execute(update(Opinion).where(Opinion.id == stored[9].id).values(provision_id=None))
    db.session.execute(delete(Opinion).where(Opinion.id.in_([o.id for o in stored[10:15]])))
    db.session.commit()
    kept = _same_tally(draft)
    assert kept["total"] == 24 - 1 - 5
    assert kept["by_stance"]["delete"] == 6


def test_public_reading_leaves_pending_opinions_out(app, frozen_now, make_draft, make_user):
    """Under 先审核、后公开 held opinions are in the staff tally (and its pending count)
    but not in the public one, distinct submitters included, until they are approved;
    approving, hiding and bulk SQL move both readings exactly."""
    from participation.models import ModerationMode

    draft = make_draft(published=True)
    draft.moderation_mode = ModerationMode.PRE.value
    db.session.commit()
    authors = [make_user("citizen") for _ in range(3)]
    staff = make_user("staff")
    stored = _submit_some(draft, authors, frozen_now.now, count=9)
    version_id = draft.current_version.id
    kept = _same_tally(draft)
    assert (kept["total"], kept["pending"], kept["submitters"]) == (9, 9, 3)
    public = compute_tally(draft.id, version_id, published_only=True)
    assert (public.overall.total, public.overall.submitters, dict(public.overall.by_stance)) == (0, 0, {})
    assert public.overall.pending == 9   # counted, for staff only: never added to the public total

    for opinion in stored[:4]:   # authors 0, 1, 2, 0
        service.publish_opinion(opinion, by=staff, now=frozen_now.now)
    service.hide_opinion(stored[4], reason="测试", by=staff, now=frozen_now.now)
    db.session.commit()
    _same_tally(draft)
    public = compute_tally(draft.id, version_id, published_only=True)
    assert (public.overall.total, public.overall.submitters) == (4, 3)
    assert compute_tally(draft.id, version_id).overall.total == 8

    # Approving in bulk SQL, and holding again: the triggers follow.
    db.session.execute(update(Opinion).where(Opinion.id.in_([o.id for o in stored[5:9]])).values(moderation_state="published"))
    db.session.execute(update(Opinion).where(Opinion.id == stored[0].id).values(moderation_state="pending"))
    db.session.commit()
    _same_tally(draft)
    public = compute_tally(draft.id, version_id, published_only=True)
    assert public.overall.total == 7 and public.overall.pending == 1


def test_deleting_a_draft_leaves_no_counts(app, frozen_now, make_draft, make_user):
    draft = make_draft(published=True)
    _submit_some(draft, [make_user("citizen")], frozen_now.now, count=6)
    version_id = draft.current_version.id
    assert db.session.scalar(select(func.count()).select_from(TallyCount).where(TallyCount.version_id == version_id))
    db.session.delete(draft)
    db.session.commit()
    for model in (TallyCount, TallySubmitter, TallyNode, TallyVersion, TallyDisposition):
        assert db.session.scalar(select(func.count()).select_from(model).where(model.version_id == version_id)) == 0
    assert db.session.get(Draft, draft.id) is None


def _drop_opinion_triggers():
    if db.session.get_bind().dialect.name == "sqlite":
        for name in ("opinions_tally_insert", "opinions_tally_update", "opinions_tally_update_submitters",
                     "opinions_tally_delete"):
            db.session.execute(text(f"DROP TRIGGER {name}"))
    else:
        db.session.execute(text("DROP TRIGGER opinions_tally ON opinions"))
        db.session.execute(text("DROP TRIGGER opinions_tally_inserted ON opinions"))
    db.session.commit()


def test_check_finds_lost_triggers_and_rebuild_repairs(app, runner, frozen_now, make_draft, make_user):
    draft = make_draft(published=True)
    authors = [make_user("citizen") for _ in range(3)]
    _submit_some(draft, authors, frozen_now.now, count=9)

    result = runner.invoke(args=["tally", "check"])
    assert result.exit_code == 0, result.output
    assert "一致" in result.output

    try:
        _drop_opinion_triggers()
        _submit_some(draft, authors, frozen_now.now, count=5)  # not counted: no triggers
        db.session.expire_all()
        assert compute_tally(draft.id, draft.current_version.id).overall.total == 9

        result = runner.invoke(args=["tally", "check"])
        assert result.exit_code == 1
        assert "opinions_tally" in result.output and "flask tally rebuild" in result.output
        assert "tally_counts" in result.output
    finally:
        result = runner.invoke(args=["tally", "rebuild"])
    assert result.exit_code == 0, result.output
    assert tally_upkeep.trigger_problems(db.session.connection()) == []
    db.session.expire_all()
    assert _same_tally(draft)["total"] == 14

    # The triggers are back: the next opinion counts.
    _submit_some(draft, authors, frozen_now.now, count=1)
    assert _same_tally(draft)["total"] == 15
    assert runner.invoke(args=["tally", "check", str(draft.id)]).exit_code == 0
    result = runner.invoke(args=["tally", "check", "999999"])
    assert result.exit_code != 0 and "999999" in result.output


# --- The disposition dimension (issue 15) ------------------------------------------------

def test_disposition_counts_follow_every_change(app, frozen_now, make_draft, make_user):
    """Single changes, bulk UPDATEs (the shape of a bulk disposition), moves, hiding,
    represented counts and deletes: the counts by disposition stay equal to a count
    from scratch, rolled up like the others."""
    draft = make_draft(published=True)
    authors = [make_user("citizen") for _ in range(3)]
    staff = make_user("staff")
    stored = _submit_some(draft, authors, frozen_now.now)
    ids = [o.id for o in stored]
    assert _same_tally(draft)["by_disposition"] == {"pending": 24}

    stored[0].disposition = "adopted"
    db.session.commit()
    db.session.execute(update(Opinion).where(Opinion.id.in_(ids[1:13])).values(disposition="not_adopted",
                                                                               disposition_reason="理由"))
    db.session.execute(update(Opinion).where(Opinion.id.in_(ids[5:9])).values(disposition="for_study"))
    db.session.execute(update(Opinion).where(Opinion.id == ids[2]).values(provision_id=None, represented_count=4))
    db.session.execute(update(Opinion).where(Opinion.id.in_(ids[3:5])).values(body="只改正文，不影响统计"))
    service.hide_opinion(stored[6], reason="测试", by=staff, now=frozen_now.now)
    db.session.commit()
    kept = _same_tally(draft)
    assert kept["by_disposition"] == {"adopted": 1, "not_adopted": 8, "for_study": 3, "pending": 11}

    db.session.execute(delete(Opinion).where(Opinion.id.in_(ids[0:4])))
    db.session.execute(update(Opinion).values(disposition="already_provided"))
    db.session.commit()
    kept = _same_tally(draft)
    assert kept["by_disposition"] == {"already_provided": 19}
    clause = next(c for c in kept["provisions"] if c["total"])
    assert sum(clause["by_disposition"].values()) == clause["total"]


def test_check_finds_a_tampered_disposition_count(app, runner, frozen_now, make_draft, make_user):
    draft = make_draft(published=True)
    _submit_some(draft, [make_user("citizen")], frozen_now.now, count=6)
    db.session.execute(update(Opinion).values(disposition="adopted"))
    db.session.commit()
    assert runner.invoke(args=["tally", "check"]).exit_code == 0

    db.session.execute(update(TallyDisposition).where(TallyDisposition.disposition == "adopted")
                       .values(opinions=TallyDisposition.opinions + 1))
    db.session.commit()
    result = runner.invoke(args=["tally", "check", str(draft.id)])
    assert result.exit_code == 1 and "tally_dispositions" in result.output

    assert runner.invoke(args=["tally", "rebuild", str(draft.id)]).exit_code == 0
    db.session.expire_all()
    assert _same_tally(draft)["by_disposition"] == {"adopted": 6}


def test_check_finds_a_lost_disposition_trigger(app, runner, frozen_now, make_draft, make_user):
    draft = make_draft(published=True)
    _submit_some(draft, [make_user("citizen")], frozen_now.now, count=3)
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER opinions_tally_dispositions_update"))
    else:
        db.session.execute(text("DROP TRIGGER opinions_tally_dispositions_updated ON opinions"))
    db.session.execute(update(Opinion).values(disposition="for_study"))
    db.session.commit()
    result = runner.invoke(args=["tally", "check"])
    assert result.exit_code == 1 and "opinions_tally_dispositions_update" in result.output
    assert runner.invoke(args=["tally", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["tally", "check"]).exit_code == 0
