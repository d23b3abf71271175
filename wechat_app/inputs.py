"""Hostile input stops at the door, in one place for each kind.

- Identifiers in paths and forms are integers in PostgreSQL's `integer` range: the `int` URL
  converter is bounded (a larger number is a 404, not an overflow in the database), and `parse_id`
  reads ids from forms the same way (ASCII digits only: `"²".isdigit()` is true in Python).
- NUL and other control characters are refused in paths, query strings, form fields and file names
  before any view runs (PostgreSQL refuses NUL in text; nothing we accept needs the others, except
  tab and line breaks in free text).
"""
from __future__ import annotations

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL `integer`
ALLOWED_CONTROLS = {"\t", "\n", "\r"}


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` with the database's range: 0 … 2**31-1, fixed digits only."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False) -> None:  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_count(value: str | None) -> int | None:
    """A number typed or posted in a form (0 … 2**31-1), else None."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 10):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def parse_id(value: str | None) -> int | None:
    """A row id posted in a form (1 … 2**31-1), else None."""
    number = parse_count(value)
    return number if number else None


def has_control_characters(text: str) -> bool:
    return any((ord(c) < 32 or ord(c) == 127) and c not in ALLOWED_CONTROLS for c in text)


def refuse_control_characters() -> None:
    if has_control_characters(request.path):
        abort(400)
    for source in (request.args, request.form):
        for key, values in source.lists():
            if has_control_characters(key) or any(has_control_characters(v) for v in values):
                abort(400)
    for file in request.files.values():
        if file.filename and has_control_characters(file.filename):
            abort(400)


def register(app: Flask) -> None:
    app.before_request(refuse_control_characters)


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered: rules compile with the converters present then."""
    app.url_map.converters["int"] = BoundedIntegerConverter
