"""我要报名 (/m/registration): the five steps, preview, submission, uploads, and 免考申请 (/m/exemption).

Views parse the step's form (wechat_app/forms/registration.py) into what was typed, call one use
case in domain/submission.py and render; every POST saves what was typed before anything else
happens, unless its shape is wrong (a field over its length), which is shown with what was typed.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from wechat_app import clock, limits
from wechat_app.auth import physician_required
from wechat_app.domain import enumerations, submission, uploads, wizard
from wechat_app.domain.errors import DomainError
from wechat_app.domain.home import current_cycle_and_registration
from wechat_app.domain.registration import Actor, Role, Status, label
from wechat_app.domain.submission import IncomingFile
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm, first_error, flat_errors
from wechat_app.forms.portal import ExemptionForm
from wechat_app.forms.registration import STEP_FORMS
from wechat_app.models import Department, Upload

bp = Blueprint("registration", __name__)

FILES = {step: form.uploads for step, form in STEP_FORMS.items()}
UPLOAD_READ_LIMIT = 3 * 1024 * 1024 + 1  # one byte over domain/uploads' limit, so that it can refuse


def actor() -> Actor:
    return Actor(Role.PHYSICIAN, current_user.id)


def my_registration():
    _, registration = current_cycle_and_registration(current_user)
    return registration


def incoming(files) -> list[IncomingFile]:
    return [IncomingFile(f.filename or "", f.read(UPLOAD_READ_LIMIT)) for f in files]


def step_context(registration, step: int, errors: dict | None = None, typed: dict | None = None):
    draft = submission.draft_of(registration)
    data = draft.get(str(step), {}) if typed is None else typed
    ctx = submission.context_for(registration)
    return dict(
        registration=registration, step=step, steps=wizard.STEPS, data=data, errors=errors or {},
        physician=current_user, departments=ctx.departments, subjects=enumerations.subjects(),
        ethnicities=enumerations.ethnicities(), education_levels=enumerations.education_levels(),
        titles=enumerations.titles(), levels=enumerations.levels(), categories=enumerations.categories(),
        scopes_by_category={c: enumerations.scopes(c) for c in enumerations.categories()},
        lists=wizard.LISTS, good_kinds=wizard.GOOD_KINDS, good_levels=wizard.GOOD_LEVELS, bad_kinds=wizard.BAD_KINDS,
        conditions=wizard.conditions(draft, ctx) if step == 5 else [],
        files={field: submission.uploads_of(current_user.id, data.get(field) or []) for field in FILES.get(step, ())},
        department_labels=ctx.department_names,
        status_label=label(registration.status), confirm_form=ConfirmForm(),
    )


@bp.get("/m/registration")
@physician_required
def overview():
    registration = my_registration()
    if registration is None:
        return render_template("registration/closed.html", institution=current_user.institution), 403
    if submission.editable(registration):
        return redirect(url_for("registration.step", step=1))
    snapshot, department_names = submission.latest_snapshot_and_department(registration, current_user.institution_id)
    return render_template("registration/submitted.html", registration=registration, snapshot=snapshot,
                           status_label=label(registration.status),
                           **view_helpers(snapshot.data["steps"] if snapshot else {}, department_names))


@bp.route("/m/registration/step/<int:step>", methods=["GET", "POST"])
@physician_required
@limits.per_account(limits.REGISTRATION_STEP, methods=["POST"])
def step(step: int):
    if step not in wizard.STEPS:
        abort(404)
    registration = my_registration()
    if registration is None or not submission.editable(registration):
        return redirect(url_for("registration.overview"))
    if request.method == "GET":
        return render_template("registration/step.html", **step_context(registration, step))
    form = STEP_FORMS[step]()
    if not form.validate_on_submit():
        errors = {"form": first_error(form.errors)} | flat_errors(form.errors)
        if form.action.data == "autosave":
            return {"ok": False, "errors": errors}, 400
        return render_template("registration/step.html", **step_context(registration, step, errors, form.typed())), 400
    action = form.action.data or "save"
    data = form.typed()
    form.apply_list_action(data)
    try:
        errors = submission.save_step(registration, step, data,
                                      {name: incoming(files) for name, files in form.files().items()}, actor())
    except DomainError as exc:
        return render_template("registration/step.html", **step_context(registration, step, {"form": str(exc)})), 409
    if action == "autosave":
        return {"ok": True, "saved_at": f"{clock.now():%H:%M:%S}", "errors": errors}
    if action == "next" and not errors:
        errors = wizard.validate(step, submission.draft_of(registration), submission.context_for(registration),
                                 clock.today())
        if not errors:
            return redirect(url_for("registration.step", step=step + 1) if step < 5 else url_for("registration.preview"))
    if action == "back" and not errors:
        return redirect(url_for("registration.step", step=step - 1) if step > 1 else url_for("portal.home"))
    if action == "save" and not errors:
        flash("已保存。")
        return redirect(url_for("registration.step", step=step), 303)  # a reload does not post again
    return render_template("registration/step.html", **step_context(registration, step, errors)), 400 if errors else 200


@bp.get("/m/registration/preview")
@physician_required
def preview():
    registration = my_registration()
    if registration is None or not submission.editable(registration):
        return redirect(url_for("registration.overview"))
    draft = submission.draft_of(registration)
    ctx = submission.context_for(registration)
    invalid = wizard.first_invalid_step(draft, ctx, clock.today())
    return render_template("registration/preview.html", registration=registration, steps=draft, invalid=invalid,
                           conditions=wizard.conditions(draft, ctx), confirm_form=ConfirmForm(),
                           **view_helpers(draft))


def view_helpers(steps: dict, departments: dict[str, str] | None = None) -> dict:
    """What the summary of the five steps needs; `departments` (id → name) when the caller read the
    one the steps state, else those of the physician's institution."""
    if departments is None:
        departments = {str(d.id): d.name for d in db.session.query(Department)
                       .filter(Department.institution_id == current_user.institution_id)}
    return {"subjects": enumerations.subjects(), "department_names": departments, "lists": wizard.LISTS,
            "masked_id": current_user.masked_id_number,
            "upload_url": lambda upload_id: url_for("registration.upload", upload_id=upload_id)}


@bp.post("/m/registration/submit")
@physician_required
@limits.per_account(limits.REGISTRATION_SUBMIT)
def submit():
    registration = my_registration()
    if registration is None or not ConfirmForm().validate_on_submit():
        return redirect(url_for("registration.overview"))
    try:
        submission.submit(registration, actor())
    except DomainError as exc:
        if "step" in exc.context:  # incomplete: back to the first step that needs work
            flash(exc.message)
            return redirect(url_for("registration.step", step=exc.context["step"]))
        if registration.status == Status.PENDING_INSTITUTION:
            return redirect(url_for("registration.done"))  # the first tap already submitted it
        flash(str(exc))
        return redirect(url_for("registration.preview"))
    return redirect(url_for("registration.done"))


@bp.get("/m/registration/done")
@physician_required
def done():
    registration = my_registration()
    snapshot = submission.latest_snapshot(registration) if registration else None
    if snapshot is None:
        return redirect(url_for("registration.overview"))
    return render_template("registration/done.html", snapshot=snapshot)


@bp.get("/m/uploads/<int:upload_id>")
@physician_required
def upload(upload_id: int):
    """A physician's own uploads only; staff see them through the console's scoped pages."""
    row = db.session.get(Upload, upload_id)
    if row is None or row.physician_id != current_user.id:
        abort(404)
    response = Response(uploads.content_of(row), mimetype=row.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response


@bp.route("/m/exemption", methods=["GET", "POST"])
@physician_required
def exemption():
    registration = my_registration()
    form, errors = ExemptionForm(), {}
    if form.is_submitted() and not form.validate():
        errors = flat_errors(form.errors)
    elif form.is_submitted():
        files = incoming(f for f in form.evidence.data or [] if f and f.filename)
        try:
            submission.apply_for_exemption(registration, form.category.data, form.explanation.data, files,
                                           current_user.id)
        except DomainError as exc:
            errors = exc.fields
        else:
            flash("免考申请已提交，请等待审核。")
            return redirect(url_for("registration.exemption"))
    return render_template("registration/exemption.html", registration=registration, errors=errors,
                           refusal=submission.exemption_refusal(registration),
                           application=submission.existing_exemption(registration),
                           categories=wizard.EXEMPTION_CATEGORIES, form=form), 400 if errors else 200
