"""Every service that changes an opinion, a draft, an account or a liaison point records
who did it, when, and only the fields that changed; never a password or a token secret."""
from __future__ import annotations

import json
from datetime import timedelta

from werkzeug.security import check_password_hash  # noqa: F401  (the hash is never in an entry)

from participation import clock
from participation.extensions import db
from participation.models import Role, User
from participation.parsing import parse_text
from participation.services import accounts, drafts, liaison, opinions
from tests.conftest import SAMPLE_DRAFT


def _one(entries, action):
    """The one entry of ``action`` made by a person (the factories act as the command line)."""
    found = [e for e in entries(action) if e.actor_id is not None]
    assert len(found) == 1, [(e.action, e.new) for e in entries()]
    return found[0]


def test_hiding_and_showing_an_opinion_again(open_draft, make_opinion, make_user, frozen_now, entries):
    staff = make_user("staff")
    opinion = make_opinion(open_draft)
    opinions.hide_opinion(opinion, reason="含有广告", by=staff, now=frozen_now.now)
    opinions.publish_opinion(opinion, by=staff, now=frozen_now.now)
    opinions.publish_opinion(opinion, by=staff, now=frozen_now.now)  # already public: nothing to record
    db.session.commit()
    hide, publish = entries("opinion.hide"), entries("opinion.publish")
    assert len(hide) == len(publish) == 1
    assert (hide[0].actor_id, hide[0].object_type, hide[0].object_id, hide[0].draft_id) == (
        staff.id, "opinion", opinion.id, open_draft.id)
    assert hide[0].old == {"moderation_state": "published", "hidden_reason": ""}
    assert hide[0].new == {"moderation_state": "hidden", "hidden_reason": "含有广告"}
    assert publish[0].old == {"moderation_state": "hidden", "hidden_reason": "含有广告"}
    assert publish[0].created_at == frozen_now.now


def test_opinion_settings_record_only_what_changed(open_draft, make_user, entries):
    staff = make_user("staff")
    mode = open_draft.moderation_mode
    opinions.update_opinion_settings(open_draft, allows_anonymous_opinions=not open_draft.allows_anonymous_opinions,
                                     moderation_mode=mode, shows_opinions_publicly=open_draft.shows_opinions_publicly,
                                     by=staff)
    opinions.update_opinion_settings(open_draft, allows_anonymous_opinions=open_draft.allows_anonymous_opinions,
                                     moderation_mode=mode, shows_opinions_publicly=open_draft.shows_opinions_publicly,
                                     by=staff)  # unchanged: no entry
    db.session.commit()
    entry = _one(entries, "draft.opinion_settings")
    assert list(entry.new) == ["allows_anonymous_opinions"] and list(entry.old) == ["allows_anonymous_opinions"]
    assert entry.actor_id == staff.id


def test_a_draft_from_import_to_deletion(app, make_user, frozen_now, entries):
    staff = make_user("staff")
    document = parse_text(SAMPLE_DRAFT)
    draft = drafts.import_draft(title="示例条例", document=document, source_format="text", source_filename="a.txt",
                                source_bytes=SAMPLE_DRAFT.encode(), created_by=staff)
    imported = _one(entries, "draft.import")
    assert (imported.actor_id, imported.object_id, imported.draft_id) == (staff.id, draft.id, draft.id)
    assert imported.new["title"] == "示例条例" and imported.new["provisions"] > 5

    text = SAMPLE_DRAFT.replace("制定本条例", "特制定本条例")
    drafts.replace_draft_text(draft, document=parse_text(text), source_format="text", source_filename="b.txt",
                              source_bytes=text.encode(), replaced_by=staff)
    replaced = _one(entries, "draft.replace_text")
    assert replaced.old["source_filename"] == "a.txt" and replaced.new["source_filename"] == "b.txt"
    assert replaced.old["source_digest"] != replaced.new["source_digest"]

    drafts.update_draft_details(draft, title="示例条例（草案）", issuing_body="", summary="", by=staff)
    assert _one(entries, "draft.update").old == {"title": "示例条例"}
    assert _one(entries, "draft.update").new == {"title": "示例条例（草案）"}

    draft_id = draft.id
    drafts.delete_unpublished_draft(draft, by=staff)
    db.session.commit()
    deleted = _one(entries, "draft.delete")
    assert (deleted.object_id, deleted.old["title"]) == (draft_id, "示例条例（草案）")
    # The draft's history outlives it; only its link to the gone draft is cleared.
    assert len(entries()) >= 5
    assert all(e.draft_id is None for e in entries() if e.object_type == "draft")


def test_publish_extend_close(make_draft, make_user, frozen_now, entries):
    staff = make_user("staff")
    draft = make_draft()
    now = frozen_now.now
    drafts.publish_draft(draft, opens_at=now, closes_at=now + timedelta(days=30), now=now, by=staff)
    published = _one(entries, "draft.publish")
    assert published.old == {"published_at": None, "opens_at": None, "closes_at": None}
    assert published.new["closes_at"] == (now + timedelta(days=30)).isoformat()
    drafts.extend_draft(draft, closes_at=now + timedelta(days=40), now=now, by=staff)
    extended = _one(entries, "draft.extend")
    assert list(extended.new) == ["closes_at"]
    assert extended.old["closes_at"] == (now + timedelta(days=30)).isoformat()
    drafts.close_draft(draft, now=now + timedelta(days=1), by=staff)
    closed = _one(entries, "draft.close")
    assert closed.new == {"closes_at": (now + timedelta(days=1)).isoformat()}
    assert {e.actor_id for e in entries() if e.action.startswith("draft.") and e.action != "draft.import"} == {staff.id}


def _no_secret_anywhere(entries, *secrets):
    dumped = json.dumps([[e.old, e.new, e.selection] for e in entries()], ensure_ascii=False)
    for secret in secrets:
        assert secret not in dumped
    assert "password_hash" not in dumped and "pbkdf2" not in dumped and "scrypt" not in dumped


def test_accounts_created_edited_disabled_unlocked(make_user, frozen_now, entries):
    admin = make_user("admin")
    point = liaison.create_liaison_point(name="东城联系点", by=admin)
    other = liaison.create_liaison_point(name="西城联系点", by=admin)
    user = accounts.create_user(email="op@example.org", password="a long passphrase 1", role=Role.OPERATOR,
                                display_name="信息员", liaison_point=point, by=admin)
    created = _one(entries, "account.create")
    assert (created.actor_id, created.object_type, created.object_id) == (admin.id, "user", user.id)
    assert created.new["role"] == "operator" and created.new["liaison_point_id"] == point.id
    accounts.update_user_details(user, display_name="信息员甲", liaison_point=other, by=admin)
    updated = _one(entries, "account.update")
    assert updated.old == {"display_name": "信息员", "liaison_point_id": point.id}
    assert updated.new == {"display_name": "信息员甲", "liaison_point_id": other.id}
    accounts.set_enabled(user, False, changed_by=admin, now=frozen_now.now)
    accounts.set_enabled(user, False, changed_by=admin, now=frozen_now.now)  # already disabled
    accounts.set_enabled(user, True, changed_by=admin, now=frozen_now.now)
    assert _one(entries, "account.disable").new == {"is_enabled": False}
    assert _one(entries, "account.enable").old == {"is_enabled": False}
    accounts.unlock_sign_in(user, unlocked_by=admin, now=frozen_now.now)
    assert _one(entries, "account.unlock_sign_in").new == {"cleared_failures": 0}
    _no_secret_anywhere(entries, "a long passphrase 1", user.password_hash)


def test_a_password_set_is_recorded_without_the_password(make_user, entries):
    admin = make_user("admin")
    user = make_user("citizen")
    accounts.set_password(user, "another long passphrase", by=admin)
    entry = _one(entries, "account.password_set")
    assert (entry.actor_id, entry.object_id, entry.old, entry.new) == (admin.id, user.id, None, None)
    _no_secret_anywhere(entries, "another long passphrase", user.password_hash)


def test_tokens_issued_and_revoked_without_the_secret(make_user, frozen_now, entries):
    admin = make_user("admin")
    user = make_user("deputy")
    token, secret = accounts.issue_api_token(user, name="集成", by=admin)
    issued = _one(entries, "account.token_issue")
    assert issued.new == {"token_id": token.id, "name": "集成", "prefix": token.prefix}
    accounts.revoke_api_token(token, revoked_by=admin, now=frozen_now.now)
    accounts.revoke_api_token(token, revoked_by=admin, now=frozen_now.now)  # idempotent: one entry
    assert _one(entries, "account.token_revoke").actor_id == admin.id
    _no_secret_anywhere(entries, secret, token.token_digest)


def test_disabling_revokes_tokens_on_the_record(make_user, frozen_now, entries):
    admin = make_user("admin")
    user = make_user("citizen")
    accounts.issue_api_token(user, name="一", by=user)
    accounts.set_enabled(user, False, changed_by=admin, now=frozen_now.now)
    assert [e.action for e in entries() if e.object_id == user.id and e.object_type == "user"][-2:] == [
        "account.disable", "account.token_revoke"]


def test_self_registration_is_not_a_staff_action(app, entries):
    user = accounts.register_citizen(email="me@example.org", password="my own passphrase",
                                     consented_policy_version=1, now=clock.now())
    assert not [e for e in entries() if e.object_type == "user" and e.object_id == user.id]


def test_the_command_line_records_no_person(make_user, entries):
    user = make_user("citizen")  # made through the service without ``by``, as the CLI does
    entry = [e for e in entries("account.create") if e.object_id == user.id][0]
    assert entry.actor_id is None


def test_liaison_points(make_user, entries):
    admin = make_user("admin")
    point = liaison.create_liaison_point(name="东城联系点", region="东城区", by=admin)
    assert _one(entries, "liaison_point.create").new == {"name": "东城联系点", "region": "东城区", "address": "",
                                                          "is_active": True}
    liaison.update_liaison_point(point, name="东城联系点", region="东城区", address="某街1号", is_active=False, by=admin)
    liaison.update_liaison_point(point, name="东城联系点", region="东城区", address="某街1号", is_active=False, by=admin)
    updated = _one(entries, "liaison_point.update")
    assert updated.old == {"address": "", "is_active": True} and updated.new == {"address": "某街1号", "is_active": False}
    assert db.session.get(User, admin.id).id == updated.actor_id


def test_command_line_actions_are_recorded_without_a_person(make_draft, make_user, runner, entries):
    draft = make_draft()
    user = make_user("citizen")
    result = runner.invoke(args=["drafts", "publish", str(draft.id), "--days", "20"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "set-password", user.email, "--password", "a command line passphrase"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    published = [e for e in entries("draft.publish") if e.object_id == draft.id]
    password = [e for e in entries("account.password_set") if e.object_id == user.id]
    assert len(published) == len(password) == 1
    assert published[0].actor_id is None and password[0].actor_id is None
    _no_secret_anywhere(entries, "a command line passphrase")
