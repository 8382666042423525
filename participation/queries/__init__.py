"""Read helpers: listings with pagination, the provision tree of a version, counts.

Everything a template needs is loaded here, so that templates never trigger lazy loads.
One module per area; every public name is re-exported here, so callers write
``from participation import queries`` and ``queries.get_draft(...)`` whichever module
holds it.
"""
from participation.queries.accounts import accounts_query, get_user, tokens_query
from participation.queries.audit import AuditFilters, audit_entries_page, history_of, opinion_history
from participation.queries.batches import (
    batch_opinions, batch_rows_page, batch_state_counts, batches_page, disposition_counts_by_batch, get_batch,
    liaison_point_names, open_drafts_for_batches, receipts_of,
)
from participation.queries.drafts import (
    current_version, drafts_by_id, drafts_page, drafts_with_status_query, get_draft, open_drafts,
    published_drafts_query, recently_closed_drafts, upcoming_drafts,
)
from participation.queries.dispositions import (
    MAX_CLAUSE_LINES, Progress, assigned_to, assignments_of, clause_lines, disposition_counts, division_rows,
    draft_progress, progress_by_key, queue_query, reply_templates, staff_members,
)
from participation.queries.opinions import (
    OpinionCursor, OpinionPage, StaffOpinionFilters, duty_record_query, duty_record_summary, get_opinion,
    my_opinions_query, opinion_citations, opinion_counts_by_draft, opinion_state_counts, published_count,
    published_counts, published_opinion_total, published_opinions_page, rolled_up_counts, staff_opinion_conditions,
    staff_opinion_ids, staff_opinions_query,
)
from participation.queries.paging import MAX_ID, MAX_PAGE
from participation.queries.plans import (
    CallTally, DraftPlanLine, ProposalFilters, all_calls, attachments_of, call_tally, get_call, group_sizes,
    groups_of, plan_line_for_draft, plan_of_year, proposals_by_project, proposals_query, public_calls,
    published_plans,
)
from participation.queries.provisions import (
    KIND_ORDER, LARGE_DRAFT_ARTICLES, LOOSE_ARTICLES_PER_PAGE, MAX_ARTICLES_PER_PAGE, STRUCTURAL_KINDS, DraftOutline,
    ProvisionNode, TextPage, article_counts, clause_citation, clause_citations, draft_outline, find_provision,
    kind_counts, provision_positions, provision_rows, provision_subtree, provision_tree, subtree_end, subtree_ids,
)

__all__ = [
    "accounts_query", "get_user", "tokens_query",
    "AuditFilters", "audit_entries_page", "history_of", "opinion_history",
    "batch_opinions", "batch_rows_page", "batch_state_counts", "batches_page", "get_batch", "open_drafts_for_batches",
    "receipts_of", "disposition_counts_by_batch", "liaison_point_names",
    "current_version", "drafts_by_id", "drafts_page", "drafts_with_status_query", "get_draft", "open_drafts",
    "published_drafts_query", "recently_closed_drafts", "upcoming_drafts",
    "MAX_CLAUSE_LINES", "Progress", "assigned_to", "assignments_of", "clause_lines", "disposition_counts",
    "division_rows", "draft_progress", "progress_by_key", "queue_query", "reply_templates", "staff_members",
    "staff_opinion_conditions", "staff_opinion_ids",
    "OpinionCursor", "OpinionPage", "StaffOpinionFilters", "duty_record_query", "duty_record_summary", "get_opinion",
    "my_opinions_query", "opinion_citations", "opinion_counts_by_draft", "opinion_state_counts", "published_count", "published_counts",
    "published_opinion_total", "published_opinions_page", "rolled_up_counts", "staff_opinions_query",
    "MAX_ID", "MAX_PAGE",
    "CallTally", "DraftPlanLine", "ProposalFilters", "all_calls", "attachments_of", "call_tally", "get_call",
    "group_sizes", "groups_of", "plan_line_for_draft", "plan_of_year", "proposals_by_project", "proposals_query",
    "public_calls", "published_plans",
    "KIND_ORDER", "LARGE_DRAFT_ARTICLES", "LOOSE_ARTICLES_PER_PAGE", "MAX_ARTICLES_PER_PAGE", "STRUCTURAL_KINDS",
    "DraftOutline", "ProvisionNode", "TextPage", "article_counts", "clause_citation", "clause_citations",
    "draft_outline", "find_provision", "kind_counts", "provision_positions", "provision_rows", "provision_subtree",
    "provision_tree", "subtree_end", "subtree_ids",
]
