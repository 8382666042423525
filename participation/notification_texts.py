"""How each kind of 站内消息 reads: a title, a sentence and the places it leads to.

One renderer per ``NotificationKind``, registered with ``@renders(kind)``. The inbox
page shows what ``render`` returns; another channel (email, a later issue) renders the
same rows with ``external=True`` for absolute links. A kind without a renderer still
shows its label, so an old row never breaks the inbox."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import url_for
from flask_babel import gettext as _

from participation import labels, links
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
    if getattr(user, "role", None) == Role.OPERATOR.value and user.liaison_point_id is not None:
        # Operators hear about their point's batches: the answers are on the feedback sheets.
        message_links.append(MessageLink("batches", _("查看本联系点的批次和反馈表"), url_for(
            "batches.point_batches", point_id=user.liaison_point_id, _external=external)))
    else:
        message_links.append(MessageLink("opinions", _("查看我的意见"), links.my_opinions_url(external=external)))
    return RenderedMessage(
        title=labels.label(labels.NOTIFICATION_KIND, notification.kind),
        sentence=_("您提出意见的《%(title)s》已发布意见采纳情况，可以查看每条意见的处理结果和理由。", title=title),
        links=message_links,
    )
