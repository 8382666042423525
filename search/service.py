"""A search as the page and the API run it: read and check the parameters, apply who
may see what, ask the index, then show what the database says.

The index only chooses and orders documents. Everything shown comes from the database
at the time of the request, and every hit is checked against it again: an opinion
hidden a moment ago, and not yet re-indexed, is dropped rather than shown. When the
index cannot answer, or lags behind the outbox, the outcome says plainly that results
may be incomplete; it never fails the request.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dt_time, timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from participation import policies, queries
from participation.extensions import db
from participation.models import (
    Draft, ModerationState, Opinion, ProposerCategory, Provision, Stance, SubmitterCategory,
)
from participation.batches.citations import VersionClauses
from participation.citations import parse_citation
from participation.clock import local_to_utc
from participation.text import clean_text
from search import documents, proposal_hits
from search.facets import FacetValue, label_facets  # noqa: F401  (FacetValue: part of the outcome)
from search.backend import IndexStore, IndexUnavailable, current_searcher, search as run_query
from search.highlight import make_snippet
from search.query import (
    MAX_RESULT_WINDOW,
    Filters,
    ParsedQuery,
    parse_query,
)

logger = logging.getLogger("search")

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 50
MAX_ID = 2**31 - 1
TYPES = documents.KINDS
SORTS = ("relevance", "newest")
STANCES = tuple(stance.value for stance in Stance)
#: Opinions' categories, then the one only proposals have (政府部门).
CATEGORIES = tuple(dict.fromkeys([c.value for c in SubmitterCategory] + [c.value for c in ProposerCategory]))
STATES = tuple(state.value for state in ModerationState)
#: Facets shown to everyone, and to staff only.
PUBLIC_FACETS = ("kind", "draft", "call", "article", "stance", "category", "liaison")
STAFF_FACETS = PUBLIC_FACETS + ("state",)
#: Parameter name of each facet's filter.
FACET_PARAMETERS = {"kind": "type", "draft": "draft", "call": "call", "article": "clause", "stance": "stance",
                    "category": "category", "liaison": "liaison_point", "state": "state"}


@dataclass
class SearchParams:
    q: str = ""
    type: str | None = None
    draft: int | None = None
    #: A legislative-plan call (its proposals).
    call: int | None = None
    clause: str | None = None
    stance: str | None = None
    category: str | None = None
    liaison_point: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    state: str | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def filter_args(self) -> dict:
        """The filters as query-string values (for links that keep them)."""
        values = {
            "type": self.type, "draft": self.draft, "call": self.call, "clause": self.clause, "stance": self.stance,
            "category": self.category, "liaison_point": self.liaison_point,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "state": self.state,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}

    def has_filters(self) -> bool:
        return bool(self.filter_args())


_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-~_")


def read_params(args, *, per_page_default: int = DEFAULT_PER_PAGE,
                strict: bool = False) -> tuple[SearchParams, dict[str, list[str]], list[str]]:
    """Parameters from a query string: (params, errors, warnings).

    ``errors``: a Chinese message for each malformed parameter (its value is then
    ignored; the API answers 422). ``warnings``: well-formed values that cannot be used
    as given (a date range ending before it starts, a page past the deepest one).

    A blank value means "not given" for the HTML form (an empty select); with
    ``strict`` (the API) it is malformed like any other value that is not valid."""
    errors: dict[str, list[str]] = {}
    warnings: list[str] = []
    params = SearchParams(per_page=per_page_default)

    def error(name, message):
        errors.setdefault(name, []).append(message)

    def given(raw) -> bool:
        return raw is not None and (strict or raw != "")

    def integer(name, minimum, maximum):
        raw = args.get(name)
        if not given(raw):
            return None
        if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not minimum <= int(raw) <= maximum:
            error(name, _("%(name)s 必须是 %(min)d 到 %(max)d 之间的整数。", name=name, min=minimum, max=maximum))
            return None
        return int(raw)

    def choice(name, choices):
        raw = args.get(name)
        if not given(raw):
            return None
        if raw not in choices:
            error(name, _("%(name)s 只能是以下取值之一：%(choices)s。", name=name, choices=_("、").join(choices)))
            return None
        return raw

    def day(name):
        raw = args.get(name)
        if not given(raw):
            return None
        try:
            if len(raw) != 10:
                raise ValueError
            return date.fromisoformat(raw)
        except ValueError:
            error(name, _("%(name)s 必须是 YYYY-MM-DD 格式的日期。", name=name))
            return None

    params.q = args.get("q") or ""
    params.type = choice("type", TYPES)
    params.draft = integer("draft", 1, MAX_ID)
    params.call = integer("call", 1, MAX_ID)
    clause = args.get("clause")
    if given(clause):
        key = clause_key(clause, params.draft)
        if key is None:
            error("clause", _("无法识别条款“%(value)s”。请写成“第十二条”“第12条第2款”“第十二条第（三）项”。",
                              value=(clause or "")[:40]))
        elif key is False:
            error("clause", _("草案中没有“%(value)s”。", value=clause[:40]))
        else:
            params.clause = key
    params.stance = choice("stance", STANCES)
    params.category = choice("category", CATEGORIES)
    params.liaison_point = integer("liaison_point", 1, MAX_ID)
    params.date_from = day("from")
    params.date_to = day("to")
    if params.date_from and params.date_to and params.date_from > params.date_to:
        warnings.append(_("结束日期早于开始日期，没有符合的结果。"))
    params.state = choice("state", STATES)
    params.sort = choice("sort", SORTS) or "relevance"
    params.page = integer("page", 1, MAX_RESULT_WINDOW) or 1
    params.per_page = integer("per_page", 1, MAX_PER_PAGE) or per_page_default
    if (params.page - 1) * params.per_page >= MAX_RESULT_WINDOW:
        warnings.append(_("最多只能翻到第 %(n)d 条结果，请增加搜索词或筛选条件。", n=MAX_RESULT_WINDOW))
    return params, errors, warnings


def clause_key(text: str | None, draft_id: int | None):
    """The clause key of what a person wrote in the clause filter: a key as the API and
    links give it (art.12.2), or a citation as people write it (第十二条, 第12条第2款,
    十二条, 第十二条第（三）项), read by the one citation parser. None when it cannot be
    read; False when ``draft_id`` names a draft whose current text has no such clause."""
    text = clean_text(text or "", multiline=False)
    if not text or len(text) > 80:
        return None
    version = queries.current_version(draft_id) if draft_id is not None else None
    if set(text) <= _KEY_CHARS:
        key = text
    elif parse_citation(text, None) in (None, ""):
        return None  # unreadable, or 总体意见 (not a clause)
    elif version is not None:
        # Against the draft's own text: an item cited without its paragraph is found in
        # the paragraph that holds items.
        key = parse_citation(text, VersionClauses(version.id).document) or False
    else:
        key = parse_citation(text, None)
    if key and version is not None and queries.find_provision(version.id, key) is None:
        return False
    return key


# --- outcome ------------------------------------------------------------------------------

@dataclass
class Hit:
    type: str
    id: int
    #: The draft of an opinion or provision; None for a proposal (see ``call_id``).
    draft_id: int | None
    draft_title: str | None
    provision_key: str | None
    provision_label: str | None
    snippet: str
    highlights: list[tuple[int, int]]
    url: str
    score: float
    stance: str | None = None
    category: str | None = None
    state: str | None = None
    region: str | None = None
    submitter_name: str | None = None
    created_at: datetime | None = None
    #: A proposal's call, title (项目名称) and focus area.
    call_id: int | None = None
    call_title: str | None = None
    title: str | None = None
    area: str | None = None

    def snippet_parts(self) -> list[tuple[str, bool]]:
        """(text, marked) pieces of the snippet, for templates (which escape them)."""
        parts = []
        position = 0
        for start, end in self.highlights:
            if start > position:
                parts.append((self.snippet[position:start], False))
            parts.append((self.snippet[start:end], True))
            position = end
        if position < len(self.snippet):
            parts.append((self.snippet[position:], False))
        return parts


@dataclass
class SearchOutcome:
    params: SearchParams
    total: int = 0
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    #: Things the reader should know (input shortened, results possibly incomplete).
    notices: list[str] = field(default_factory=list)
    #: False when results may be missing something (index unavailable, behind, or
    #: rebuilding; time budget exhausted).
    complete: bool = True
    #: Set when nothing was searched, with the reason (no search words, say).
    prompt: str | None = None
    searched: bool = False
    seconds: float = 0.0

    @property
    def pages(self) -> int:
        shown = min(self.total, MAX_RESULT_WINDOW)
        return max(1, -(-shown // self.params.per_page))


# --- visibility -------------------------------------------------------------------------------

def _draft_visibility(staff: bool) -> tuple[tuple[int, ...], tuple[int, ...], dict[int, str]]:
    """(drafts whose provisions are hidden, drafts whose opinions are hidden, titles)."""
    rows = db.session.execute(
        select(Draft.id, Draft.title, Draft.published_at, Draft.opens_at, Draft.closes_at,
               Draft.shows_opinions_publicly)
    ).all()
    titles = {row.id: row.title for row in rows}
    if staff:
        return (), (), titles
    hidden_provisions = []
    hidden_opinions = []
    for row in rows:
        published = row.published_at is not None and row.opens_at is not None and row.closes_at is not None
        if not published:
            hidden_provisions.append(row.id)
            hidden_opinions.append(row.id)
        elif not row.shows_opinions_publicly:
            hidden_opinions.append(row.id)
    return tuple(hidden_provisions), tuple(hidden_opinions), titles


_EARLIEST = date(1970, 1, 2)
_LATEST = date(9000, 1, 1)


def _day_start(value: date) -> datetime:
    """The UTC time the local day begins (clamped: a date far in the past or future
    means "no limit" rather than an overflow)."""
    value = min(max(value, _EARLIEST), _LATEST)
    return local_to_utc(datetime.combine(value, dt_time.min))


def _filters(params: SearchParams, staff: bool, hidden_provisions, hidden_opinions, hidden_calls=()) -> Filters:
    return Filters(
        kinds=(params.type,) if params.type else (),
        drafts=(params.draft,) if params.draft else (),
        calls=(params.call,) if params.call else (),
        clause=params.clause,
        stances=(params.stance,) if params.stance else (),
        categories=(params.category,) if params.category else (),
        liaison_points=(params.liaison_point,) if params.liaison_point else (),
        states=(params.state,) if params.state and staff else (),
        created_from=_day_start(params.date_from) if params.date_from else None,
        created_to=_day_start(min(params.date_to, _LATEST) + timedelta(days=1)) if params.date_to else None,
        hidden_provision_drafts=hidden_provisions,
        hidden_opinion_drafts=hidden_opinions,
        hidden_proposal_calls=tuple(hidden_calls),
        hidden_states=() if staff else (ModerationState.PENDING.value, ModerationState.HIDDEN.value),
    )


# --- health -------------------------------------------------------------------------------

def _health_notices(outcome: SearchOutcome, store: IndexStore) -> None:
    from search.indexer import backlog

    config = current_app.config
    try:
        waiting = backlog()
    except Exception:
        logger.exception("could not read the search outbox")
        outcome.complete = False
        outcome.notices.append(_("暂时无法确认搜索索引是否最新，结果可能不完整。"))
        return
    status = store.read_status()
    if status.get("state") == "rebuilding" and _process_alive(status.get("pid")):
        outcome.complete = False
        outcome.notices.append(_("搜索索引正在重建，最近的变更可能暂未反映在结果中。"))
        return
    if waiting.oldest_age is not None and waiting.oldest_age > float(config["SEARCH_STALE_SECONDS"]):
        outcome.complete = False
        outcome.notices.append(_("有 %(n)d 项最新变更尚未进入搜索索引，结果可能不完整。", n=waiting.count))


def _process_alive(pid) -> bool:
    import os

    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- running -------------------------------------------------------------------------------

def run_search(params: SearchParams, user) -> SearchOutcome:
    started = time.perf_counter()
    outcome = SearchOutcome(params=params)
    config = current_app.config
    staff = policies.can_search_all_opinions(user)
    if not config.get("SEARCH_ENABLED", True):
        outcome.complete = False
        outcome.prompt = _("本站的全文搜索未启用。")
        return outcome
    parsed = parse_query(params.q)
    outcome.notices.extend(parsed.notices)
    if parsed.only_exclusions and not params.has_filters():
        outcome.prompt = _("请至少输入一个不带减号（-）的搜索词。")
        return outcome
    only_dates = not (set(params.filter_args()) - {"from", "to"})
    if parsed.is_empty and only_dates:
        if params.has_filters():
            outcome.prompt = _("请输入要搜索的词语，或再选择一个筛选条件（只按日期无法浏览全部内容）。")
        elif params.q.strip():
            outcome.prompt = _("搜索内容中没有可以搜索的文字，请输入汉字、字母或数字。")
        else:
            outcome.prompt = _("请输入要搜索的词语。")
        return outcome

    if (params.page - 1) * params.per_page >= MAX_RESULT_WINDOW:
        outcome.prompt = _("最多只能翻到第 %(n)d 条结果，请增加搜索词或筛选条件。", n=MAX_RESULT_WINDOW)
        return outcome
    hidden_provisions, hidden_opinions, titles = _draft_visibility(staff)
    calls = proposal_hits.call_visibility(staff)
    filters = _filters(params, staff, hidden_provisions, hidden_opinions, calls.hidden)
    store = IndexStore(config["SEARCH_INDEX_PATH"])
    facet_fields = STAFF_FACETS if staff else PUBLIC_FACETS
    if not params.draft:
        facet_fields = tuple(name for name in facet_fields if name != "article")
    try:
        opened, searcher = current_searcher(store)
    except IndexUnavailable as exc:
        logger.warning("search index unavailable: %s", exc)
        outcome.complete = False
        outcome.notices.append(_("搜索索引暂时不可用，正在恢复，结果可能不完整。请稍后再试。"))
        outcome.seconds = time.perf_counter() - started
        return outcome
    if opened.is_stale:
        outcome.complete = False
        outcome.notices.append(_("搜索索引正在按新版本重建，结果可能不完整。"))
    else:
        _health_notices(outcome, store)
    try:
        raw = run_query(
            searcher, parsed, filters, sort=params.sort,
            offset=(params.page - 1) * params.per_page, limit=params.per_page, facet_fields=facet_fields,
            time_budget=float(config.get("SEARCH_TIME_BUDGET_SECONDS", 1.0)) or None,
        )
    except Exception:
        # A damaged segment found mid-search, say: the indexer's next cycle checks the
        # index and rebuilds it; this request says so instead of failing.
        logger.exception("search failed for %r", params.q[:200])
        from search.backend import forget_searchers

        forget_searchers()
        outcome.complete = False
        outcome.notices.append(_("搜索索引暂时不可用，正在恢复，结果可能不完整。请稍后再试。"))
        outcome.seconds = time.perf_counter() - started
        return outcome
    outcome.searched = True
    outcome.total = raw.total
    if raw.truncated:
        outcome.complete = False
        outcome.notices.append(_("符合条件的结果太多，只统计了一部分。请增加搜索词或筛选条件。"))
    outcome.hits = _hydrate(raw.hits, parsed, staff, hidden_provisions, hidden_opinions, titles, calls)
    dropped = len(raw.hits) - len(outcome.hits)
    if dropped:
        outcome.total = max(outcome.total - dropped, len(outcome.hits))
    outcome.facets = label_facets(raw.facets, params, titles, calls.titles)
    outcome.seconds = time.perf_counter() - started
    return outcome


# --- from ids to what is shown --------------------------------------------------------------

def _citations(provision_ids: set[int]) -> dict[int, tuple[str, str]]:
    """(key, citation label) of each provision: the canonical citation (第二条第（一）项,
    written by ``queries.clause_citations`` as on every page), a heading with its title."""
    rows = db.session.execute(
        select(Provision.id, Provision.version_id, Provision.kind, Provision.key, Provision.label, Provision.heading)
        .where(Provision.id.in_(provision_ids))
    ).all() if provision_ids else []
    cited = queries.clause_citations((row.version_id, row.key) for row in rows)
    result = {}
    for row in rows:
        label = cited.get((row.version_id, row.key), row.key)
        if row.kind in documents.HEADING_KINDS and row.heading and row.heading != row.label:
            label = f"{label} {row.heading}"
        result[row.id] = (row.key, label)
    return result


def _hydrate(raw_hits, parsed: ParsedQuery, staff: bool, hidden_provisions, hidden_opinions, titles,
             calls: proposal_hits.CallVisibility) -> list[Hit]:
    wanted = [documents.split_doc_id(hit.doc_id) for hit in raw_hits]
    opinion_ids = [pk for kind_pk in wanted if kind_pk and kind_pk[0] == documents.OPINION for pk in [kind_pk[1]]]
    provision_ids = [pk for kind_pk in wanted if kind_pk and kind_pk[0] == documents.PROVISION for pk in [kind_pk[1]]]
    proposals = proposal_hits.proposal_rows(
        [pk for kind_pk in wanted if kind_pk and kind_pk[0] == documents.PROPOSAL for pk in [kind_pk[1]]])
    opinions = {}
    if opinion_ids:
        for row in db.session.execute(
            select(Opinion.id, Opinion.draft_id, Opinion.provision_id, Opinion.provision_key, Opinion.body,
                   Opinion.proposed_text, Opinion.reason, Opinion.stance, Opinion.category, Opinion.region,
                   Opinion.submitter_name, Opinion.is_name_public, Opinion.moderation_state, Opinion.created_at)
            .where(Opinion.id.in_(opinion_ids))
        ):
            opinions[row.id] = row
    provisions = {}
    if provision_ids:
        for row in db.session.execute(
            select(Provision.id, Provision.version_id, Provision.key, Provision.kind, Provision.label,
                   Provision.heading, Provision.text)
            .where(Provision.id.in_(provision_ids))
        ):
            provisions[row.id] = row
    citations = _citations({row.provision_id for row in opinions.values() if row.provision_id}
                           | set(provisions))
    block_texts = _block_texts(provisions.values())
    versions = _version_drafts({row.version_id for row in provisions.values()})
    needles = parsed.highlight_needles()
    hits = []
    for raw, kind_pk in zip(raw_hits, wanted):
        if kind_pk is None:
            continue
        kind, pk = kind_pk
        if kind == documents.PROPOSAL:
            hit = proposal_hits.proposal_hit(Hit, raw, proposals.get(pk), staff=staff, calls=calls, needles=needles)
            if hit is not None:
                hits.append(hit)
        elif kind == documents.OPINION:
            row = opinions.get(pk)
            if row is None or row.draft_id not in titles:
                continue
            if not staff and (row.moderation_state != ModerationState.PUBLISHED.value or row.draft_id in hidden_opinions):
                continue
            snippet, spans = make_snippet([row.body, row.proposed_text, row.reason], needles)
            key, label = citations.get(row.provision_id, (None, None)) if row.provision_id else (None, None)
            hits.append(Hit(
                type=kind, id=pk, draft_id=row.draft_id, draft_title=titles[row.draft_id],
                provision_key=key, provision_label=label or (None if row.provision_id else _("总体意见")),
                snippet=snippet, highlights=spans, url=_clause_url(row.draft_id, key), score=raw.score,
                stance=row.stance, category=row.category, state=row.moderation_state if staff else None,
                region=row.region or None,
                submitter_name=row.submitter_name if (row.is_name_public and row.submitter_name) else None,
                created_at=row.created_at,
            ))
        else:
            row = provisions.get(pk)
            draft_id = versions.get(row.version_id) if row is not None else None
            if row is None or draft_id is None or draft_id not in titles:
                continue
            if not staff and draft_id in hidden_provisions:
                continue
            key, label = citations.get(pk, (row.key, row.label))
            text = block_texts.get(pk) or " ".join(part for part in (row.heading, row.text) if part)
            snippet, spans = make_snippet([text], needles)
            hits.append(Hit(
                type=kind, id=pk, draft_id=draft_id, draft_title=titles[draft_id], provision_key=key,
                provision_label=label, snippet=snippet, highlights=spans, url=_clause_url(draft_id, key),
                score=raw.score,
            ))
    return hits


def _version_drafts(version_ids: set[int]) -> dict[int, int]:
    if not version_ids:
        return {}
    from participation.models import DraftVersion

    rows = db.session.execute(select(DraftVersion.id, DraftVersion.draft_id).where(DraftVersion.id.in_(version_ids)))
    return {row.id: row.draft_id for row in rows}


def _block_texts(rows) -> dict[int, str]:
    """The whole text of each article among ``rows`` (its paragraphs and items)."""
    texts = {}
    for row in rows:
        if row.kind not in documents.BLOCK_KINDS:
            continue
        children = db.session.execute(
            select(Provision.heading, Provision.text)
            .where(Provision.version_id == row.version_id, Provision.key.startswith(row.key + ".", autoescape=True))
            .order_by(Provision.position)
        ).all()
        pieces = [part for part in (row.heading, row.text) if part]
        pieces += [" ".join(part for part in (child.heading, child.text) if part) for child in children]
        texts[row.id] = " ".join(piece for piece in pieces if piece)
    return texts


def _clause_url(draft_id: int, key: str | None) -> str:
    if key:
        return url_for("public.provision", draft_id=draft_id, key=key)
    return url_for("public.draft", draft_id=draft_id)
