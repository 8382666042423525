"""A parsed query and filters as Whoosh query objects.

The searches themselves do not run these (``reading`` reads posting lists as bitsets);
they say, in Whoosh's terms, what a search means, and show that no input of the query
language builds anything but terms, prefixes and phrases of the two text fields.
"""
from __future__ import annotations

from whoosh.query import And, Or, Phrase, Prefix, Term

from search.analysis import MAX_WORD_LENGTH, query_grams, query_words
from search.query import Filters, ParsedQuery, QueryTerm


def _term_query(term: QueryTerm):
    grams = query_grams(term.text)
    if not grams:
        return None
    if len(grams) == 1 and len(grams[0]) == 1:
        # One character: the bigram (or last character) that starts with it.
        gram_query = Prefix("grams", grams[0])
    elif len(grams) == 1:
        gram_query = Term("grams", grams[0])
    else:
        gram_query = Phrase("grams", grams)
    if term.phrase:
        return gram_query
    words = [word[:MAX_WORD_LENGTH] for word in query_words(term.text)]
    if not words:
        return gram_query
    word_query = Term("words", words[0], boost=2.0) if len(words) == 1 else Phrase("words", words, boost=2.0)
    return Or([word_query, gram_query])


def text_query(parsed: ParsedQuery):
    """The Whoosh query for the positive terms (None when there are none)."""
    clauses = []
    for group in parsed.groups:
        alternatives = [q for q in (_term_query(term) for term in group) if q is not None]
        if alternatives:
            clauses.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else And(clauses)


def exclusion_query(parsed: ParsedQuery):
    alternatives = [q for q in (_term_query(term) for term in parsed.excluded) if q is not None]
    if not alternatives:
        return None
    return alternatives[0] if len(alternatives) == 1 else Or(alternatives)


def _any_of(field_name: str, values) -> object | None:
    values = [str(value) for value in values]
    if not values:
        return None
    if len(values) == 1:
        return Term(field_name, values[0])
    return Or([Term(field_name, value) for value in values])


def filter_query(filters: Filters):
    parts = [
        _any_of("kind", filters.kinds),
        _any_of("draft", filters.drafts),
        _any_of("call", filters.calls),
        Term("clause", filters.clause) if filters.clause else None,
        _any_of("stance", filters.stances),
        _any_of("category", filters.categories),
        _any_of("liaison", filters.liaison_points),
        _any_of("state", filters.states),
    ]
    # Dates are not terms: they are checked on the "created" column while collecting.
    parts = [part for part in parts if part is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def mask_query(filters: Filters, exclusions=None):
    """Documents never to return: invisible ones and excluded words."""
    parts = []
    if filters.hidden_states:
        parts.append(And([Term("kind", "opinion"), _any_of("state", filters.hidden_states)]))
        parts.append(And([Term("kind", "proposal"), _any_of("state", filters.hidden_states)]))
    if filters.hidden_proposal_calls:
        parts.append(And([Term("kind", "proposal"), _any_of("call", filters.hidden_proposal_calls)]))
    if filters.hidden_opinion_drafts:
        parts.append(And([Term("kind", "opinion"), _any_of("draft", filters.hidden_opinion_drafts)]))
    if filters.hidden_provision_drafts:
        parts.append(And([Term("kind", "provision"), _any_of("draft", filters.hidden_provision_drafts)]))
    if exclusions is not None:
        parts.append(exclusions)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Or(parts)
