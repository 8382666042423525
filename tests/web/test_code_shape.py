"""The shape the code keeps (issue 14): modules small enough to read, thin views, and a
declared unit of work on every route that writes.

* No module of ``participation/`` or ``search/`` over MAX_MODULE_LINES lines.
* No view (a function registered on a route, defined in ``participation/views/`` or
  ``participation/api/``) over MAX_VIEW_LINES lines, from its ``def`` to its end
  (decorators not counted): load → policy → validate → service → commit → answer.
* Every route that accepts a writing method (POST, PUT, PATCH, DELETE) runs in a write
  unit (``@writes``), and no route answering GET does: a GET inside ``@writes`` would
  take SQLite's write lock for nothing. A view that serves a form and takes its
  submission is two views on the same address (``new_opinion`` / ``send_opinion``).

The routes are read from a created app (``app.url_map`` and ``app.view_functions``), so
every blueprint counts, whichever package registers it.
"""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 600
MAX_VIEW_LINES = 40
VIEW_PACKAGES = ("participation/views/", "participation/api/")
WRITING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Routes that accept POST without being one write unit, and why. Keep this short: a
# new entry needs a reason a reviewer accepts.
NOT_A_WRITE_UNIT = {
    # Stores the chosen language in the signed cookie session; no database work.
    "public.set_language",
    # The API's submission: a read unit first (a refusal never waits for the write
    # lock), then the write unit, both opened in its body (``with reading()`` /
    # ``with writing()``).
    "api.submissions.create_comment",
}


def _unit_of_work(view) -> str | None:
    """``"write"`` or ``"read"`` when ``view`` or a function it wraps is decorated by
    ``writes`` or ``reads`` (``participation.unit_of_work``), else None."""
    while view is not None:
        mode = getattr(view, "unit_of_work", None)
        if mode is not None:
            return mode
        view = getattr(view, "__wrapped__", None)
    return None


def _routes(app) -> dict[str, set[str]]:
    """endpoint → the methods its rules accept (HEAD and OPTIONS left out: Flask adds them)."""
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        routes.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return routes


def _view_length(function) -> tuple[str, int]:
    """(where the function is defined, its length in lines from ``def`` to its end)."""
    path = Path(inspect.getsourcefile(function))
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    first = function.__code__.co_firstlineno  # the first decorator's line, if any
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function.__name__:
            start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            if start == first:
                return f"{path.relative_to(SOURCE)}:{node.lineno}", node.end_lineno - node.lineno + 1
    raise AssertionError(f"{function.__qualname__} not found in {path}")


def _in_view_packages(function) -> bool:
    path = Path(inspect.getsourcefile(function)).resolve()
    return path.is_relative_to(SOURCE) and path.relative_to(SOURCE).as_posix().startswith(VIEW_PACKAGES)


def test_no_module_is_too_long():
    long = sorted(
        (path.relative_to(SOURCE).as_posix(), count)
        for package in ("participation", "search")
        for path in (SOURCE / package).rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    )
    assert not long, f"modules over {MAX_MODULE_LINES} lines: " + ", ".join(f"{name} ({n})" for name, n in long)


def test_no_view_is_too_long(app):
    measured = {}
    for endpoint in _routes(app):
        function = inspect.unwrap(app.view_functions[endpoint])
        if _in_view_packages(function):
            measured[endpoint] = _view_length(function)
    # The walk must see the views of both packages, or it checks nothing.
    assert "public.send_opinion" in measured and "api.submissions.create_comment" in measured
    long = sorted(f"{endpoint} at {where} ({n} lines)"
                  for endpoint, (where, n) in measured.items() if n > MAX_VIEW_LINES)
    assert not long, f"views over {MAX_VIEW_LINES} lines (def to end): " + ", ".join(long)


def test_every_route_that_writes_runs_in_a_write_unit(app):
    routes = _routes(app)
    undeclared = sorted(
        endpoint for endpoint, methods in routes.items()
        if methods & WRITING_METHODS and endpoint not in NOT_A_WRITE_UNIT
        and _unit_of_work(app.view_functions[endpoint]) != "write"
    )
    assert not undeclared, (
        "routes accepting POST/PUT/PATCH/DELETE without @writes (participation.unit_of_work): "
        + ", ".join(f"{endpoint} ({', '.join(sorted(routes[endpoint]))})" for endpoint in undeclared))


def test_no_get_takes_the_write_lock(app):
    # Also catches a view serving both GET and POST under @writes: its GET would hold
    # SQLite's write lock while it renders a form.
    routes = _routes(app)
    writing_gets = sorted(
        endpoint for endpoint, methods in routes.items()
        if "GET" in methods and _unit_of_work(app.view_functions[endpoint]) == "write"
    )
    assert not writing_gets, (
        "routes answering GET inside a write unit (give the GET a view of its own, @reads; "
        "the POST keeps @writes): " + ", ".join(writing_gets))


def test_the_exceptions_are_still_routes_that_accept_post(app):
    # An entry left behind after its route changed would exempt whatever takes its name next.
    routes = _routes(app)
    stale = sorted(endpoint for endpoint in NOT_A_WRITE_UNIT
                   if not routes.get(endpoint, set()) & WRITING_METHODS
                   or _unit_of_work(app.view_functions[endpoint]) == "write")
    assert not stale, f"NOT_A_WRITE_UNIT entries that no longer need to be there: {stale}"


def test_no_template_prints_a_half_written_expression():
    """``{ _('行') }`` (one brace short of ``{{ … }}``) is valid Jinja text and shows the code
    itself to the reader; an edit once left two table headers of the batch preview so."""
    import re

    half = re.compile(r"(?<![{])\{ *_\(")
    found = [f"{path.relative_to(SOURCE)}:{number}: {line.strip()[:120]}"
             for path in sorted((SOURCE / "templates").rglob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if half.search(line)]
    assert found == []
