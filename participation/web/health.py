"""Health endpoints for load balancers and process supervisors.

* ``GET /healthz`` (liveness): the process answers requests. No database work, so a
  slow or unreachable database does not get healthy web processes killed and
  restarted. Also the cheapest request the application serves, which the submission
  benchmark uses as its ceiling.
* ``GET /readyz`` (readiness): the process can serve real traffic: a connection from
  the pool runs ``SELECT 1``. 503 while the database is unreachable, so a load balancer
  stops sending traffic to this instance until it recovers. Then every readiness
  check registered by other parts of the application runs; one that is not fine makes
  the answer ``degraded`` — still 200, so the balancer keeps the instance in service,
  while an operator's monitor sees which part is degraded::

      {"status": "ok" | "degraded" | "unavailable",
       "checks": {"database": {"state": "ok"},
                  "search": {"state": "degraded", "reason": "stale", "detail": "…", …}}}

The contract of a readiness check: ``app.extensions["readiness_checks"][name]`` is a
callable taking no arguments (called inside the request's app context), returning None
when fine, or a JSON-serialisable dict with at least ``"state"`` (``"ok"`` or
``"degraded"``) and any details (``reason``, ``detail`` …). It is polled often: keep it
cheap, and say nothing secret (no paths, addresses or credentials). A check that raises,
or answers something else, is reported as degraded with ``reason: "check_failed"``.
Participation never imports the parts that register checks (``search.init_app``
registers ``search``).

Both endpoints are exempt from rate limiting (balancers poll them from one address),
never cached, and say nothing about the installation beyond the states and details
above.
"""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from participation.extensions import db, limiter

bp = Blueprint("health", __name__)
limiter.exempt(bp)

OK = "ok"
DEGRADED = "degraded"
UNAVAILABLE = "unavailable"


def _answer(status: int, body: dict):
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _run_check(name: str, check) -> dict:
    try:
        outcome = check()
        if outcome is None:
            return {"state": OK}
        if not isinstance(outcome, dict) or not isinstance(outcome.get("state"), str):
            raise TypeError("a readiness check answers None or a dict with a state")
        # A copy, made of JSON values only: the answer must always serialise.
        return json.loads(json.dumps(outcome, default=str))
    except Exception as exc:
        current_app.logger.warning("readiness check %r failed", name, exc_info=True)
        return {"state": DEGRADED, "reason": "check_failed", "detail": type(exc).__name__}


@bp.get("/healthz")
def healthz():
    return _answer(200, {"status": OK})


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.warning("readiness check: the database is unreachable", exc_info=True)
        db.session.rollback()
        # The other checks are not run: most read the database too, and would only
        # make the answer slow while it is down.
        return _answer(503, {"status": UNAVAILABLE, "checks": {"database": {"state": UNAVAILABLE}}})
    finally:
        # Hand the connection back at once: the check must not hold a transaction.
        db.session.rollback()
    checks = {"database": {"state": OK}}
    for name, check in current_app.extensions.get("readiness_checks", {}).items():
        checks[name] = _run_check(name, check)
    overall = OK if all(check.get("state") == OK for check in checks.values()) else DEGRADED
    return _answer(200, {"status": overall, "checks": checks})
