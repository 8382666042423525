"""Health endpoints for load balancers and process supervisors.

* ``GET /healthz`` (liveness): the process answers requests. No database work, so a
  slow or unreachable database does not get healthy web processes killed and
  restarted. Also the cheapest request the application serves, which the submission
  benchmark uses as its ceiling.
* ``GET /readyz`` (readiness): the process can serve real traffic: a connection from
  the pool runs ``SELECT 1``. 503 while the database is unreachable, so a load balancer
  stops sending traffic to this instance until it recovers.

Both are exempt from rate limiting (balancers poll them from one address), never
cached, and say nothing about the installation beyond "ok".
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from participation.extensions import db, limiter

bp = Blueprint("health", __name__)
limiter.exempt(bp)


def _answer(status: int, state: str):
    response = jsonify({"status": state})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    return _answer(200, "ok")


@bp.get("/readyz")
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.warning("readiness check: the database is unreachable", exc_info=True)
        db.session.rollback()
        return _answer(503, "unavailable")
    finally:
        # Hand the connection back at once: the check must not hold a transaction.
        db.session.rollback()
    return _answer(200, "ok")
