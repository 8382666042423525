"""Domain rows → API dictionaries. The shapes here and the schemas in
``participation.api.openapi`` describe the same thing; the OpenAPI test keeps them in
step."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from participation.models import ApiToken, Draft, DraftVersion, User
from participation.queries import ProvisionNode

# The public reading page of a draft (participation.views.public).
DRAFT_PAGE_ENDPOINT = "public.draft"


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 with the offset of the configured time zone (2026-03-01T09:00:00+08:00):
    unambiguous for programs, and the local time people expect when they read it."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).isoformat(timespec="seconds")


def draft_url(draft: Draft) -> str:
    return url_for(DRAFT_PAGE_ENDPOINT, draft_id=draft.id, _external=True)


def draft_summary(draft: Draft, now: datetime) -> dict:
    return {
        "id": draft.id,
        "title": draft.title,
        "status": draft.status_at(now).value,
        "issuing_body": draft.issuing_body,
        "summary": draft.summary,
        "opens_at": timestamp(draft.opens_at),
        "closes_at": timestamp(draft.closes_at),
        "published_at": timestamp(draft.published_at),
        "url": draft_url(draft),
    }


def draft_detail(draft: Draft, version: DraftVersion | None, tree: list[ProvisionNode], now: datetime) -> dict:
    data = draft_summary(draft, now)
    data["version"] = {"number": version.number, "reading": version.reading} if version else None
    data["notes"] = list(version.notes or []) if version else []
    data["provisions"] = [node.as_dict() for node in tree]
    return data


def account(user: User, token: ApiToken | None) -> dict:
    point = user.liaison_point
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "display_name": user.display_name,
        "deputy_number": user.deputy_number,
        "delegation": user.delegation,
        "professional_group": user.professional_group,
        "liaison_point": {"id": point.id, "name": point.name, "region": point.region} if point else None,
        "token": {
            "prefix": token.prefix,
            "name": token.name,
            "created_at": timestamp(token.created_at),
            "last_used_at": timestamp(token.last_used_at),
        } if token else None,
    }
