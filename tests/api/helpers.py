"""Helpers for the API tests: the bearer header and a probe blueprint configured like
the real API, for behaviour no v1 endpoint exercises yet (JSON bodies, POST, service
errors, crashes)."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify

from participation import policies
from participation.api import configure_api_blueprint
from participation.api.auth import current_api_user, require, token_required
from participation.api.params import json_body
from participation.errors import Conflict, ValidationFailed
from participation.extensions import csrf, db


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


probe = Blueprint("api_probe", __name__, url_prefix="/api/v1/_probe")


@probe.post("/echo")
@token_required
def probe_echo():
    return jsonify({"user": current_api_user().id, "received": json_body()})


@probe.post("/commit")
@token_required
def probe_commit():
    """A write endpoint's shape: work, then commit once."""
    db.session.commit()
    return jsonify({"ok": True})


@probe.get("/conflict")
def probe_conflict():
    raise Conflict("草案已经发布。")


@probe.get("/invalid")
def probe_invalid():
    raise ValidationFailed("标题有误。", fields={"title": ["请填写草案标题。"]})


@probe.get("/staff-only")
def probe_staff_only():
    require(policies.is_staff(current_api_user()))
    return jsonify({"ok": True})


@probe.get("/gone")
def probe_gone():
    abort(404)


@probe.get("/crash")
def probe_crash():
    raise RuntimeError("boom")


configure_api_blueprint(probe)
csrf.exempt(probe)
