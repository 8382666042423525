"""关注 and email: follow / unfollow a draft, subscribe by email (double opt-in), the links
in emails (unsubscribe, confirm, verify — they work without signing in), the account's
notification settings and its verification email. Routes on ``public`` and ``account``."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from participation import clock, labels, mail, policies, queries
from participation.errors import ValidationFailed
from participation.extensions import csrf, db, limiter
from participation.mail import channel as mail_channel
from participation.mail import tokens
from participation.models import Draft, Follow, User
from participation.services import follows, notifications
from participation.unit_of_work import reads, writes
from participation.views import load_visible, require
from participation.views.account import bp as account_bp
from participation.views.public import bp as public_bp


def _draft(draft_id: int) -> Draft:
    return load_visible(queries.get_draft, draft_id, lambda draft: draft.current_version is not None
                        and policies.can_view_draft(current_user, draft, clock.now()))


@public_bp.post("/drafts/<int:draft_id>/follow")
@writes
def follow_draft(draft_id: int):
    require(current_user.is_authenticated)
    draft = _draft(draft_id)
    require(policies.can_follow_draft(current_user, draft, clock.now()))
    follows.follow_draft(current_user, draft, now=clock.now())
    db.session.commit()
    flash(_("已关注。草案开始征求意见、即将截止、有新的审次和发布意见采纳情况时会通知您。"), "success")
    return redirect(url_for("public.draft", draft_id=draft.id))


@public_bp.post("/drafts/<int:draft_id>/unfollow")
@writes
def unfollow_draft(draft_id: int):
    require(current_user.is_authenticated)
    draft = _draft(draft_id)
    follows.unfollow_draft(current_user, draft)
    db.session.commit()
    flash(_("已取消关注。"), "success")
    return redirect(url_for("public.draft", draft_id=draft.id))


@public_bp.post("/drafts/<int:draft_id>/subscribe")
@limiter.limit("10/hour")
@writes
def subscribe_draft(draft_id: int):
    draft = _draft(draft_id)
    if not mail.is_enabled() or not policies.can_subscribe_by_email(draft, clock.now()):
        return render_template("public/subscribe.html", draft=draft, sent=False, email="",
                               error=_("本站暂未开通邮件通知。")), 404
    email = request.form.get("email", "")
    try:
        subscription = follows.subscribe_by_email(draft, email, now=clock.now())
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("public/subscribe.html", draft=draft, sent=False, email=email[:254],
                               error=exc.message), 422
    if subscription.needs_confirmation:
        mail_channel.request_confirmation(subscription.follow)
    db.session.commit()
    # The same answer whether or not the address already follows: the page tells nobody
    # who follows what.
    return render_template("public/subscribe.html", draft=draft, sent=True, email=subscription.follow.email,
                           error=None)


def _link_page(title: str, message: str, status: int = 200, *, link: tuple[str, str] | None = None,
               action: tuple[str, str] | None = None):
    """The page of an email link: a message, and either a button that does what the
    link is for (``action``: label, URL to POST to) or a link onwards."""
    return render_template("public/email_link.html", title=title, message=message, link=link,
                           action=action), status


def _bad_link():
    return _link_page(_("链接无效或已过期"), _("这个链接无效或已经过期。请使用邮件中的完整链接；"
                                          "确认和验证链接过期后，可以重新申请。"), 400)


# Each email link answers GET with a page and one button, and does its work on POST: mail
# scanners and link previews open every link in a message, and a GET that acted would
# confirm subscriptions nobody asked for (defeating the double opt-in) or unsubscribe
# people. Mail clients unsubscribe with one POST (List-Unsubscribe-Post, RFC 8058).

def _unsubscribe_target(token: str):
    """("follow", follow id, address) or ("account", user id, kind), or None."""
    data = tokens.load(tokens.UNSUBSCRIBE, token)
    if data is None:
        return None
    if isinstance(data.get("f"), int) and isinstance(data.get("e"), str):
        return "follow", data["f"], data["e"]
    kinds = {kind.value for kind in notifications.NotificationKind}
    if isinstance(data.get("u"), int) and data.get("k") in kinds:
        return "account", data["u"], data["k"]
    return None


@public_bp.get("/email/unsubscribe/<token>")
@reads
def email_unsubscribe(token: str):
    target = _unsubscribe_target(token)
    if target is None:
        return _bad_link()
    what = (_("不再接收这个邮箱关注的草案的邮件（取消关注）。") if target[0] == "follow" else
            _("不再接收“%(kind)s”的邮件。", kind=labels.label(labels.NOTIFICATION_KIND, target[2])))
    return _link_page(_("退订邮件"), what, action=(_("确认退订"), url_for("public.email_unsubscribe_post",
                                                                    token=token)))


@public_bp.post("/email/unsubscribe/<token>")
@writes
def email_unsubscribe_post(token: str):
    """The button of the page above, or the mail client's one-click POST (without a
    CSRF token: the signed token is the proof, and unsubscribing is all it can do)."""
    target = _unsubscribe_target(token)
    if target is None:
        return _bad_link()
    if target[0] == "follow":
        follows.remove_email_follow(target[1], target[2])
        db.session.commit()
        return _link_page(_("已退订"), _("已取消这个邮箱对该草案的关注，不会再收到相关邮件。"))
    user = db.session.get(User, target[1])
    if user is not None:
        notifications.set_preference(user, target[2], notifications.EMAIL, False, now=clock.now())
    db.session.commit()
    return _link_page(_("已退订"), _("不会再给您发送“%(kind)s”的邮件。站内消息不受影响；可以在通知设置中重新开启。",
                                  kind=labels.label(labels.NOTIFICATION_KIND, target[2])),
                      link=(_("通知设置"), url_for("account.notification_settings")))


csrf.exempt(email_unsubscribe_post)


def _confirm_target(token: str):
    data = tokens.load(tokens.CONFIRM_FOLLOW, token)
    if data is None or not isinstance(data.get("f"), int) or not isinstance(data.get("e"), str):
        return None
    return data["f"], data["e"]


@public_bp.get("/email/confirm/<token>")
@reads
def email_confirm(token: str):
    target = _confirm_target(token)
    if target is None:
        return _bad_link()
    follow = db.session.get(Follow, target[0])
    if follow is None or follow.email != target[1]:
        return _link_page(_("关注已取消"), _("这个关注已经退订或不存在，请在草案页面重新关注。"), 400)
    title = db.session.scalar(select(Draft.title).where(Draft.id == follow.draft_id)) or ""
    return _link_page(_("确认关注"), _("用 %(email)s 关注《%(title)s》。", email=follow.email, title=title),
                      action=(_("确认关注"), url_for("public.email_confirm_post", token=token)))


@public_bp.post("/email/confirm/<token>")
@writes
def email_confirm_post(token: str):
    target = _confirm_target(token)
    if target is None:
        return _bad_link()
    follow = follows.confirm_subscription(target[0], target[1], now=clock.now())
    if follow is None:
        db.session.rollback()
        return _link_page(_("关注已取消"), _("这个关注已经退订或不存在，请在草案页面重新关注。"), 400)
    db.session.commit()
    return _link_page(_("已确认关注"), _("确认成功。草案开始征求意见、即将截止、有新的审次和发布意见采纳情况时，"
                                    "我们会发邮件告诉您；每封邮件都有退订链接。"),
                      link=(_("查看草案"), url_for("public.draft", draft_id=follow.draft_id)))


def _verify_target(token: str) -> User | None:
    data = tokens.load(tokens.VERIFY_EMAIL, token)
    if data is None or not isinstance(data.get("u"), int):
        return None
    user = db.session.get(User, data["u"])
    return user if user is not None and user.email == data.get("e") else None


@public_bp.get("/email/verify/<token>")
@reads
def email_verify(token: str):
    user = _verify_target(token)
    if user is None:
        return _bad_link()
    return _link_page(_("验证电子邮箱"), _("验证 %(email)s 是您的电子邮箱。", email=user.email),
                      action=(_("验证电子邮箱"), url_for("public.email_verify_post", token=token)))


@public_bp.post("/email/verify/<token>")
@writes
def email_verify_post(token: str):
    user = _verify_target(token)
    if user is None:
        db.session.rollback()
        return _bad_link()
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
    db.session.commit()
    return _link_page(_("邮箱已验证"), _("您的电子邮箱 %(email)s 已验证，可以收到邮件通知了。", email=user.email),
                      link=(_("通知设置"), url_for("account.notification_settings")))


# --- the account's settings ------------------------------------------------------------

def _settings_page(status: int = 200):
    user = current_user._get_current_object()
    preferences = notifications.preferences_of(user)
    kinds = notifications.kinds_for(user)
    followed = _followed_drafts(user)
    return render_template("account/notification_settings.html", user=user, kinds=kinds,
                           channels=notifications.CHANNELS, preferences=preferences, followed=followed,
                           mail_enabled=mail.is_enabled()), status


def _followed_drafts(user) -> list[Draft]:
    return list(db.session.scalars(select(Draft).join(Follow, Follow.draft_id == Draft.id)
                                   .where(Follow.user_id == user.id).order_by(Follow.id.desc()).limit(200)))


@account_bp.get("/notifications/settings")
@reads
def notification_settings():
    require(policies.can_choose_notifications(current_user))
    return _settings_page()


@account_bp.post("/notifications/settings")
@writes
def save_notification_settings():
    require(policies.can_choose_notifications(current_user))
    chosen = set()
    for value in request.form.getlist("on"):
        kind, _sep, channel = value.partition(":")
        chosen.add((kind, channel))
    changed = notifications.set_preferences(current_user._get_current_object(), chosen, now=clock.now())
    db.session.commit()
    flash(_("通知设置已保存（%(n)d 项改动）。", n=changed), "success")
    return redirect(url_for("account.notification_settings"))


@account_bp.post("/email/verification")
@limiter.limit("5/hour")
@writes
def send_verification():
    user = current_user._get_current_object()
    if user.email_verified_at is not None:
        flash(_("您的邮箱已经验证。"), "info")
    elif not mail.is_enabled():
        flash(_("本站暂未开通邮件通知，无法发送验证邮件。"), "error")
    else:
        mail_channel.request_verification(user)
        flash(_("验证邮件已发送到 %(email)s，请打开邮件中的链接验证邮箱。", email=user.email), "success")
    db.session.commit()
    return redirect(url_for("account.notification_settings"))
