from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
def users():
    return ""


@bp.route("/liaison-points")
def liaison_points():
    return ""
