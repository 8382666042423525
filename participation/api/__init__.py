"""The JSON API, version 1, under /api/v1.

Conventions for every endpoint (later areas follow them):

* authentication: ``Authorization: Bearer <token>`` only, never the session cookie
  (``participation.api.auth``: ``current_api_user()``, ``@token_required``,
  ``require(policies.can_…(…))``);
* input: ``participation.api.params`` (``QueryArgs`` for query parameters,
  ``json_body()`` for request bodies);
* output: ``participation.api.errors.json_response`` with dictionaries built in
  ``participation.api.serializers``; errors by raising (``participation.errors``
  service errors, ``ApiError``, ``abort``), rendered by ``participation.api.errors``;
* documentation: every route is registered in ``participation.api.openapi`` next to
  its view (a test fails for an undocumented route).
"""
from participation.api.blueprint import api, configure_api_blueprint, token_limited_routes  # noqa: F401

# Routes and their documentation, on ``api`` (participation.api.blueprint): importing the
# package registers them.
from participation.api import (  # noqa: F401
    accounts, batches, dispositions, drafts, exports, feedback, my_opinions, openapi, opinions, overview,
)
from participation.api import plan_calls, plan_docs, plans  # noqa: F401,E402
