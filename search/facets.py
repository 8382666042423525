"""Facet counts as the reader sees them: each index value (a draft id, a stance, a call
id …) with its label, read from the database at the time of the search, and whether it
is the selected filter."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from participation import labels
from participation.extensions import db
from participation.models import DraftVersion, LiaisonPoint, Provision
from search import documents

MAX_FACET_VALUES = 30


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


def kind_labels() -> dict[str, str]:
    return {documents.OPINION: _("意见建议"), documents.PROVISION: _("条文"), documents.PROPOSAL: _("立法项目建议")}


def category_label(value: str) -> str:
    """Opinions and proposals share most categories; 政府部门 is a proposer's only."""
    if value in labels.SUBMITTER_CATEGORY:
        return labels.label(labels.SUBMITTER_CATEGORY, value)
    return labels.label(labels.PROPOSER_CATEGORY, value)


def label_facets(raw: dict[str, dict[str, int]], params, titles: dict[int, str],
                 call_titles: dict[int, str]) -> dict[str, list[FacetValue]]:
    """``raw``: counts by facet field and value (``search.backend``); ``titles``: the
    drafts the reader may see; ``call_titles``: the calls the reader may see."""
    selected = {
        "kind": params.type, "draft": str(params.draft) if params.draft else None, "article": params.clause,
        "call": str(params.call) if params.call else None,
        "stance": params.stance, "category": params.category,
        "liaison": str(params.liaison_point) if params.liaison_point else None, "state": params.state,
    }
    liaison_names = {}
    liaison_ids = [int(value) for value in raw.get("liaison", {}) if value.isdigit()]
    if liaison_ids:
        liaison_names = {row.id: row.name for row in db.session.execute(
            select(LiaisonPoint.id, LiaisonPoint.name).where(LiaisonPoint.id.in_(liaison_ids)))}
    article_labels = {}
    if "article" in raw and params.draft:
        article_labels = _article_labels(params.draft, list(raw["article"]))
    kinds = kind_labels()
    result = {}
    for name, counts in raw.items():
        values = []
        for value, count in sorted(counts.items(), key=lambda item: (-item[1], _natural(item[0])))[:MAX_FACET_VALUES]:
            if name == "kind":
                label = kinds.get(value, value)
            elif name in ("draft", "call"):
                named = titles if name == "draft" else call_titles
                if not value.isdigit() or int(value) not in named:
                    continue
                label = named[int(value)]
            elif name == "article":
                label = _("总体意见") if value == documents.WHOLE_DRAFT else article_labels.get(value, value)
            elif name == "stance":
                label = labels.label(labels.STANCE, value)
            elif name == "category":
                label = category_label(value)
            elif name == "liaison":
                if not value.isdigit() or int(value) not in liaison_names:
                    continue
                label = liaison_names[int(value)]
            elif name == "state":
                label = labels.label(labels.MODERATION_STATE, value)
            else:
                label = value
            values.append(FacetValue(value, label, count, selected.get(name) == value))
        result[name] = values
    return result


def _natural(value: str) -> tuple:
    """art.2 before art.12 (numbers compared as numbers)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", value) if part)


def _article_labels(draft_id: int, keys: list[str]) -> dict[str, str]:
    version_id = db.session.execute(
        select(DraftVersion.id).where(DraftVersion.draft_id == draft_id).order_by(DraftVersion.number.desc()).limit(1)
    ).scalar()
    if version_id is None:
        return {}
    rows = db.session.execute(
        select(Provision.key, Provision.label, Provision.heading, Provision.kind)
        .where(Provision.version_id == version_id, Provision.key.in_(keys))
    )
    return {row.key: (f"{row.label} {row.heading}".strip() if row.kind in documents.HEADING_KINDS else row.label)
            for row in rows}
