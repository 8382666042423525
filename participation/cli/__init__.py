"""Operator commands: ``flask --app app <group> <command>``. Each commits once at the end."""
from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    pass
