from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/drafts")
def drafts():
    return ""
