"""What the access matrices of legislative-plan calls share: the roles, the cases a
matrix of (method, path, object, marks) rows makes, the path with the world's ids put
in, and the one-letter outcome of an answer.

Outcomes: O served (2xx, or a redirect that is not to the sign-in page), L redirected to
sign in, U 401 (the API without a token), F 403, N 404, C 409; anything else ``?<status>``.
"""
from __future__ import annotations

import pytest

#: The roles of a row's marks, in order.
ROLES = ("anonymous", "citizen", "deputy", "operator", "staff", "admin")


def cases(matrix) -> list:
    return [
        pytest.param(method, path, obj, role, marks[index], id=f"{method} {path} [{obj}] as {role}")
        for method, path, obj, marks in matrix
        for index, role in enumerate(ROLES)
    ]


def fill(path: str, obj: str, world, names) -> str:
    """``path`` with each ``{name}`` replaced by ``world[name][obj]``."""
    for name in names:
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(world[name][obj]))
    return path


def outcome(response) -> str:
    status = response.status_code
    if status in (302, 303) and response.headers.get("Location", "").startswith("/login"):
        return "L"
    if 200 <= status < 300 or status in (302, 303):
        return "O"
    return {401: "U", 403: "F", 404: "N", 409: "C"}.get(status, f"?{status}")


def write_cases(matrix) -> list:
    """The cases of the rows that may change something (anything but GET): each role on a
    copy of the world of its own."""
    return cases([row for row in matrix if row[0] != "GET"])


def read_cases(matrix) -> list:
    """The GET rows, one case each: a read changes nothing another role's read depends on,
    so the six roles read the same copy of the world (one copy instead of six: on
    PostgreSQL putting a world back costs about half a second)."""
    return [pytest.param(method, path, obj, marks, id=f"{method} {path} [{obj}]")
            for method, path, obj, marks in matrix if method == "GET"]
