"""Public reading pages."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from participation.views import safe_next_url
from participation.web import SUPPORTED_LOCALES

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    return render_template("public/home.html")


@bp.route("/drafts")
def drafts():
    return render_template("public/home.html")


@bp.route("/language", methods=["POST"])
def set_language():
    locale = request.form.get("locale")
    if locale in SUPPORTED_LOCALES:
        session["locale"] = locale
    return redirect(safe_next_url(request.form.get("next"), url_for("public.home")))
