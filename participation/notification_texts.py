"""How each kind of 站内消息 reads: a title, a sentence and the places it leads to.

One renderer per ``NotificationKind``, registered with ``@renders(kind)``. The inbox
page shows what ``render`` returns; the email channel (``participation.mail``) renders
the same rows with ``external=True`` for absolute links, and for email-only followers
a row that is never stored (``user`` None, the payload read from the draft). A kind without a renderer still
shows its label, so an old row never breaks the inbox."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _

from participation import clock, labels, links
from participation.models import Notification, Role
from participation.services.notifications import NotificationKind


@dataclass(frozen=True)
class MessageLink:
    name: str    # stable: the inbox's "open" form posts it (never a URL from the client)
    label: str
    url: str


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    sentence: str
    links: list[MessageLink] = field(default_factory=list)

    def link(self, name: str | None) -> MessageLink | None:
        return next((link for link in self.links if link.name == name), None)


Renderer = Callable[[Notification, object, bool], RenderedMessage]
_renderers: dict[str, Renderer] = {}


def renders(kind: NotificationKind):
    """Register the renderer of ``kind``: ``function(notification, user, external)``."""
    def register(function: Renderer) -> Renderer:
        _renderers[kind.value] = function
        return function
    return register


def render(notification: Notification, user, *, external: bool = False) -> RenderedMessage:
    """What ``notification`` says to ``user`` (its owner)."""
    renderer = _renderers.get(notification.kind)
    if renderer is None:
        return RenderedMessage(title=labels.label(labels.NOTIFICATION_KIND, notification.kind), sentence="")
    return renderer(notification, user, external)


@renders(NotificationKind.FEEDBACK_PUBLISHED)
def _feedback_published(notification: Notification, user, external: bool) -> RenderedMessage:
    title = (notification.payload or {}).get("title") or ""
    message_links = []
    if notification.draft_id is not None:
        message_links.append(MessageLink("report", _("查看意见采纳情况"),
                                         links.feedback_report_url(notification.draft_id, external=external)))
    if user is None:  # an email-only follower
        pass
    elif getattr(user, "role", None) == Role.OPERATOR.value and user.liaison_point_id is not None:
        # Operators hear about their point's batches: the answers are on the feedback sheets.
        message_links.append(MessageLink("batches", _("查看本联系点的批次和反馈表"), url_for(
            "batches.point_batches", point_id=user.liaison_point_id, _external=external)))
    else:
        message_links.append(MessageLink("opinions", _("查看我的意见"), links.my_opinions_url(external=external)))
    return RenderedMessage(
        title=labels.label(labels.NOTIFICATION_KIND, notification.kind),
        sentence=(_("您关注的《%(title)s》已发布意见采纳情况，可以查看每条意见的处理结果和理由。", title=title)
                  if (notification.payload or {}).get("followed") else
                  _("您提出意见的《%(title)s》已发布意见采纳情况，可以查看每条意见的处理结果和理由。", title=title)),
        links=message_links,
    )


def _draft_link(notification: Notification, external: bool) -> list[MessageLink]:
    if notification.draft_id is None:
        return []
    return [MessageLink("draft", _("查看草案"), url_for("public.draft", draft_id=notification.draft_id,
                                                       _external=external))]


def _closes_at(payload: dict) -> str:
    value = payload.get("closes_at") or ""
    try:
        return clock.format_local(datetime.fromisoformat(value)) if value else ""
    except ValueError:
        return ""


@renders(NotificationKind.OPINION_HIDDEN)
def _opinion_hidden(notification: Notification, user, external: bool) -> RenderedMessage:
    payload = notification.payload or {}
    message_links = [MessageLink("opinions", _("查看我的意见"), links.my_opinions_url(external=external))]
    return RenderedMessage(
        title=labels.label(labels.NOTIFICATION_KIND, notification.kind),
        sentence=_("您对《%(title)s》提出的意见（回执码 %(receipt)s）已被工作人员屏蔽，不在公开页面显示，但仍保存并计入统计。"
                   "理由：%(reason)s", title=payload.get("title") or "", receipt=payload.get("receipt") or "—",
                   reason=payload.get("reason") or ""),
        links=message_links,
    )


@renders(NotificationKind.DRAFT_OPENED)
def _draft_opened(notification: Notification, user, external: bool) -> RenderedMessage:
    payload = notification.payload or {}
    return RenderedMessage(
        title=labels.label(labels.NOTIFICATION_KIND, notification.kind),
        sentence=_("您关注的《%(title)s》开始征求意见，截止时间为 %(closes)s。", title=payload.get("title") or "",
                   closes=_closes_at(payload)),
        links=_draft_link(notification, external),
    )


@renders(NotificationKind.DRAFT_CLOSING)
def _draft_closing(notification: Notification, user, external: bool) -> RenderedMessage:
    payload = notification.payload or {}
    return RenderedMessage(
        title=labels.label(labels.NOTIFICATION_KIND, notification.kind),
        sentence=_("您关注的《%(title)s》将于 %(closes)s 截止征求意见，还没有提意见的请抓紧。",
                   title=payload.get("title") or "", closes=_closes_at(payload)),
        links=_draft_link(notification, external),
    )


@renders(NotificationKind.NEW_READING)
def _new_reading(notification: Notification, user, external: bool) -> RenderedMessage:
    payload = notification.payload or {}
    return RenderedMessage(
        title=labels.label(labels.NOTIFICATION_KIND, notification.kind),
        sentence=_("您关注的《%(title)s》有了新的审次文本：%(reading)s。", title=payload.get("title") or "",
                   reading=labels.label(labels.READING, payload.get("reading") or "")),
        links=_draft_link(notification, external),
    )


@renders(NotificationKind.BATCH_DISPOSED)
def _batch_disposed(notification: Notification, user, external: bool) -> RenderedMessage:
    payload = notification.payload or {}
    message_links = []
    if payload.get("point_id"):
        message_links.append(MessageLink("batches", _("查看本联系点的批次和反馈表"), url_for(
            "batches.point_batches", point_id=payload["point_id"], _external=external)))
    return RenderedMessage(
        title=labels.label(labels.NOTIFICATION_KIND, notification.kind),
        sentence=_("本联系点就《%(title)s》报送的批次（%(date)s，%(count)s 条意见）已全部处理完毕；"
                   "处理结果在意见采纳情况发布后可在反馈表中查看。", title=payload.get("title") or "",
                   date=payload.get("activity_date") or "", count=payload.get("count") or 0),
        links=message_links,
    )
