"""What a submitter hears back, on the account pages: 我的意见 (every opinion the account
submitted, with its answer once the draft's feedback is published) and 站内消息 (the
inbox, and the bell with its unread count in the header).

Everything here is the signed-in person's own: the routes take no account id, and a
message id of someone else's answers 404 like one that does not exist."""
from __future__ import annotations

import logging

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from participation import clock, links, notification_texts, policies, queries
from participation.extensions import db
from participation.models import Notification
from participation.services import feedback, notifications
from participation.unit_of_work import reads, writes
from participation.views import load_visible, plan_status, require
from participation.views.account import bp

log = logging.getLogger(__name__)

MY_OPINIONS_PER_PAGE = 20
NOTIFICATIONS_PER_PAGE = 20


def _page() -> int:
    return min(max(request.args.get("page", 1, type=int) or 1, 1), queries.MAX_PAGE)


def _private(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def opinion_rows(opinions) -> list[dict]:
    """A submitter's opinions as their pages show them (我的意见, 履职记录): the draft, the
    clause's citation and, once the draft's feedback is published, the disposition,
    its reason and the report's address (None before)."""
    opinions = list(opinions)
    drafts = queries.drafts_by_id(opinion.draft_id for opinion in opinions)
    citations = queries.opinion_citations(opinions)
    released = feedback.released_dispositions(opinions, drafts)
    return [{
        "opinion": opinion, "draft": drafts[opinion.draft_id], "citation": citations[opinion.id],
        "disposition": released[opinion.id],
        "report_url": links.feedback_report_url(opinion.draft_id) if released[opinion.id] else None,
    } for opinion in opinions]


# --- 我的意见 -------------------------------------------------------------------------------

@bp.get("/opinions")
@reads
def my_opinions():
    require(policies.can_view_own_opinions(current_user))
    user = current_user._get_current_object()
    page = db.paginate(queries.my_opinions_query(user.id), page=_page(), per_page=MY_OPINIONS_PER_PAGE,
                       error_out=False)
    return _private(make_response(render_template("account/opinions.html", page=page,
                                                  rows=opinion_rows(page.items),
                                                  proposals=plan_status.my_proposals(user))))


# --- 站内消息 ---------------------------------------------------------------------------------

@bp.app_context_processor
def _inbox_bell():
    """The header's bell: the signed-in person's unread count (one COUNT on the
    (user_id, read_at) index). A page must render even when that count cannot be read
    (an error page while the database is unavailable): no bell then."""
    if not current_user.is_authenticated:
        return {"nav_unread": None}
    try:
        return {"nav_unread": notifications.unread_count(current_user.id)}
    except SQLAlchemyError:
        log.warning("unread notifications not counted", exc_info=True)
        return {"nav_unread": None}


def _notifications_query(user_id: int):
    return notifications.inbox_query(user_id)


@bp.get("/notifications")
@reads
def inbox():
    require(current_user.is_authenticated)
    user = current_user._get_current_object()
    page = db.paginate(_notifications_query(user.id), page=_page(), per_page=NOTIFICATIONS_PER_PAGE,
                       error_out=False)
    messages = [{"notification": notification, "text": notification_texts.render(notification, user)}
                for notification in page.items]
    return _private(make_response(render_template("account/notifications.html", page=page, messages=messages,
                                                  unread=notifications.unread_count(user.id))))


@bp.post("/notifications/<int:notification_id>/read")
@writes
def read_notification(notification_id: int):
    """Open a message: mark it read and go where it leads (``to``: one of the message's
    own link names, so the address never comes from the client); back to the inbox
    without one."""
    user = current_user._get_current_object()
    notification = load_visible(Notification, notification_id, lambda row: policies.can_read_notification(user, row))
    notifications.mark_read(user.id, now=clock.now(), notification_id=notification.id)
    db.session.commit()
    target = notification_texts.render(notification, user).link(request.form.get("to"))
    return redirect(target.url if target is not None else url_for("account.inbox"), 303)


@bp.post("/notifications/read-all")
@writes
def read_all_notifications():
    marked = notifications.mark_read(current_user.id, now=clock.now())
    db.session.commit()
    flash(_("已将 %(n)d 条消息标为已读。", n=marked), "success")
    return redirect(url_for("account.inbox"), 303)
