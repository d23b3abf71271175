"""What every console page shares: the blueprint, the staff guard, scoped lookups, small parsers."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wechat_app.auth import client_ip
from wechat_app.domain import scopes
from wechat_app.domain.errors import DomainError
from wechat_app.errors import render_error
from wechat_app.forms import EXPIRED, Form, first_error
from wechat_app.models import Staff
from wechat_app.models.enums import Role

T = TypeVar("T")
bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")


def staff_required(*roles: Role):
    """Signed-in staff, optionally of one of `roles`; anyone else is sent to the console login
    (a signed-in physician included) and a staff member of another role gets a 403."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated or not isinstance(current_user, Staff):
                return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def ip() -> str | None:
    return client_ip()


def in_scope_registration(registration_id: int):
    registration = scopes.registration_in_scope(current_user, registration_id)
    if registration is None:
        abort(404)
    return registration


def in_scope_physician(physician_id: int):
    physician = scopes.physician_in_scope(current_user, physician_id)
    if physician is None:
        abort(404)
    return physician


def refused(form: Form):
    """A console form that did not validate: its first message on the error page, with a 400. The
    inputs carry their limits (maxlength), so only a stale page or a hand-made request gets here."""
    return render_error(400, first_error(form.errors) or EXPIRED)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(data: bytes, filename: str) -> Response:
    return Response(data, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}", "Cache-Control": "private, no-store"})


def outcome(call: Callable[[], T], success: Callable[[T], str] | None = None) -> T | None:
    """Run a use case and flash what came of it: its refusal's message, or `success(result)`. A refusal
    of the staff member's rights (403) is the error page with its status, not a flash: a client
    that acted outside its role must see the 4xx."""
    try:
        result = call()
    except DomainError as exc:
        if exc.status == 403:
            raise
        flash(exc.message)
        return None
    if success is not None:
        flash(success(result))
    return result


def import_outcome(result: tuple[int, list[str]], things: str, endpoint: str):
    """An Excel import's page: every row's error (nothing was imported), or back with the count."""
    added, errors = result
    if errors:
        return render_template("console/import_errors.html", errors=errors), 400
    flash(f"成功导入{added}{things}。")
    return redirect(url_for(endpoint))
