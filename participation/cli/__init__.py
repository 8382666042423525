"""Operator commands: ``flask --app app <group> <command>``.

Each command prints what it made, exits non-zero with a clear message on bad input, and
commits once at the end.
"""
from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from participation.cli.demo import demo_cli
    from participation.cli.drafts import drafts_cli
    from participation.cli.jobs import jobs_cli
    from participation.cli.liaison import liaison
    from participation.cli.plan_calls import plan_calls_cli
    from participation.cli.tally import tally_cli
    from participation.cli.users import users

    app.cli.add_command(drafts_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(liaison)
    app.cli.add_command(users)
    app.cli.add_command(tally_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(plan_calls_cli)
