"""Domain rows → API dictionaries. The shapes here and the schemas in
``participation.api.openapi`` describe the same thing; the OpenAPI test keeps them in
step."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for

from participation.links import feedback_report_url
from participation.models import ApiToken, Disposition, Draft, DraftVersion, Stance, SubmitterCategory, User
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


# --- opinions ------------------------------------------------------------------------

def _counts(counter, keys) -> dict[str, int]:
    """Every key listed, zeros included, so that clients and charts need no defaults;
    a value outside ``keys`` (a category retired later) is kept too."""
    counts = dict.fromkeys(keys, 0)
    counts.update(sorted(counter.items()))
    return counts


STANCE_KEYS = tuple(stance.value for stance in Stance)
CATEGORY_KEYS = tuple(category.value for category in SubmitterCategory)
DISPOSITION_KEYS = tuple(disposition.value for disposition in Disposition)


def clause_tally(clause, *, details: bool = True, dispositions: bool = True) -> dict:
    """``details``: the pending and hidden counts (staff only); null otherwise.
    ``dispositions``: the counts by disposition (staff, or anyone once the draft's
    feedback is published); null otherwise."""
    return {
        "key": clause.key,
        "kind": clause.kind,
        "label": clause.label,
        "heading": clause.heading,
        "total": clause.total,
        "own_total": clause.own_total,
        "pending": clause.pending if details else None,
        "hidden": clause.hidden if details else None,
        "represented": clause.represented,
        "submitters": clause.submitters,
        # Key lists computed once: walking the enums for each of a draft's 1,000-odd
        # clauses was a fifth of the tally API's time.
        "by_stance": _counts(clause.by_stance, STANCE_KEYS),
        "by_category": _counts(clause.by_category, CATEGORY_KEYS),
        "by_disposition": _counts(clause.by_disposition, DISPOSITION_KEYS) if dispositions else None,
        # 按联系点: the liaison points (by id, named in the draft tally's liaison_points)
        # whose batches sent opinions on this clause; points that sent none are left out.
        "by_liaison_point": {str(point): count for point, count in sorted(clause.by_liaison_point.items())},
    }


def draft_tally(draft: Draft, version: DraftVersion, tally, *, details: bool = True,
                dispositions: bool = True, point_names: dict[int, str] | None = None) -> dict:
    """The numbers of ``participation.tally.compute.compute_tally``, unchanged; zero counts are
    spelled out. Without ``details`` the pending and hidden counts are null, as on the
    public tally page (policies.can_view_tally_details)."""
    overall = clause_tally(tally.overall, details=details, dispositions=dispositions)
    return {
        "draft_id": draft.id,
        "version": {"number": version.number, "reading": version.reading},
        # Which opinions are counted: the public reading leaves out those pending review.
        "counted": "published" if tally.published_only else "received",
        "total": overall["total"],
        "pending": overall["pending"],
        "hidden": overall["hidden"],
        "represented": overall["represented"],
        "submitters": overall["submitters"],
        "by_stance": overall["by_stance"],
        "by_category": overall["by_category"],
        "by_disposition": overall["by_disposition"],
        "by_liaison_point": overall["by_liaison_point"],
        "liaison_points": {str(point): name for point, name in sorted((point_names or {}).items())},
        "whole_draft": clause_tally(tally.whole_draft, details=details, dispositions=dispositions),
        "provisions": [clause_tally(clause, details=details, dispositions=dispositions)
                       for clause in tally.provisions],
    }


def public_opinion(opinion, citations: dict[str, str]) -> dict:
    """An opinion as anyone may read it: never the contact details, the receipt, the
    account or the delegation; the name only when its submitter chose to publish it.
    Text is returned as stored: escaping is the job of whatever renders it."""
    return {
        "id": opinion.id,
        "provision": opinion.provision_key,
        "provision_label": citations.get(opinion.provision_key, opinion.provision_key or ""),
        "stance": opinion.stance,
        "body": opinion.body,
        "proposed_text": opinion.proposed_text,
        "reason": opinion.reason,
        "category": opinion.category,
        "region": opinion.region,
        "name": opinion.submitter_name if opinion.is_name_public and opinion.submitter_name else None,
        "submitted_at": timestamp(opinion.created_at),
    }


def receipt(opinion, draft: Draft, status: str, released=None) -> dict:
    """What a receipt code tells: the status, which draft and clause it concerns and,
    once the draft's feedback is published (``released``,
    ``services.feedback.released_disposition``), the disposition and its reason;
    nothing personal, not the text, never the internal note."""
    from flask_babel import gettext as _

    status_labels = {"received": _("已收到，待审核"), "published": _("已公开"), "hidden": _("已屏蔽")}
    return {
        "receipt": opinion.receipt_code,
        "status": status,
        "status_label": status_labels[status],
        "draft": {"id": draft.id, "title": draft.title},
        "provision": opinion.provision_key,
        "submitted_at": timestamp(opinion.created_at),
        **disposition_fields(draft, released),
    }


def disposition_fields(draft: Draft, released) -> dict:
    """The answer to an opinion: null until the draft's feedback is published."""
    return {
        "feedback_published": released is not None,
        "disposition": released.value if released else None,
        "disposition_label": released.label if released else None,
        "reason": released.reason if released else None,
        "feedback_url": feedback_report_url(draft.id, external=True) if released else None,
    }


def my_opinion(opinion, draft: Draft, citation: str, status: str, released) -> dict:
    """One of the signed-in account's own opinions (我的意见)."""
    return {
        "id": opinion.id,
        "receipt": opinion.receipt_code,
        "status": status,
        "draft": {"id": draft.id, "title": draft.title},
        "provision": opinion.provision_key,
        "provision_label": citation,
        "stance": opinion.stance,
        "body": opinion.body,
        "submitted_at": timestamp(opinion.created_at),
        **disposition_fields(draft, released),
    }
