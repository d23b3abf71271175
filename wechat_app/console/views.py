"""Console: sign-in, dashboard, reviews (审核 / 复核), 免考审核, uploads, audit log."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from wechat_app import limits
from wechat_app.auth import sign_in, sign_out
from wechat_app.console.common import bp, in_scope_registration, ip, outcome, refused, staff_required, xlsx
from wechat_app.domain import (
    audit,
    authority,
    enumerations,
    notifications,
    outbox,
    overview,
    paging,
    physicians,
    reviews,
    scopes,
    sessions,
    spreadsheets,
    staff_accounts,
    uploads,
    verification,
    wizard,
)
from wechat_app.domain.cycles import current_cycle
from wechat_app.domain.errors import DomainError
from wechat_app.domain.registration import label
from wechat_app.domain.reviews import Decision
from wechat_app.domain.submission import latest_snapshot
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm, DecisionForm, first_error
from wechat_app.forms.console import BatchReviewForm, ReviewForm, StaffLoginForm
from wechat_app.inputs import parse_id
from wechat_app.models import Department, Exemption, Notification, Physician, Registration, Upload
from wechat_app.models.enums import ApplicationStatus, Role
from wechat_app.wechat.oauth import safe_next


@bp.route("/login", methods=["GET", "POST"])
@limits.per_claimed_account(limits.SIGN_IN_PERSON, methods=["POST"])
@limits.per_address(limits.SIGN_IN_ADDRESS, methods=["POST"])
def login():
    form, error = StaffLoginForm(), None
    if form.is_submitted() and not form.validate():
        error = first_error(form.errors)
    elif form.is_submitted():
        if not verification.check_captcha(session.pop("captcha_id", None), form.captcha.data):
            error = "验证码不正确或已过期，请重新输入。"
        else:
            try:
                staff = staff_accounts.authenticate(form.username.data, form.password.data, ip())
            except DomainError as exc:
                error = str(exc)
            else:
                target = safe_next(request.args.get("next"))
                sign_in(staff)
                return redirect(target if target.startswith("/console") else url_for("console.dashboard"))
    return render_template("console/login.html", error=error, form=form), 400 if error else 200


@bp.post("/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        if current_user.is_authenticated:
            sessions.sign_out(current_user)
        sign_out()
    return redirect(url_for("console.login"))


@bp.get("/")
@staff_required()
def dashboard():
    columns, rows = authority.progress(current_user)
    return render_template("console/dashboard.html", columns=columns, rows=rows, backlog=outbox.backlog(),
                           misconfigured_labels=outbox.CONFIGURATION_ERRORS)


@bp.get("/overview")
@staff_required()
def overview_page():
    """概况: the funnel, rates and the days of this cycle, region by region (domain/overview.py)."""
    cycle = current_cycle(scopes.own_province_id(current_user))
    if cycle is None:
        abort(404)
    view = overview.overview(current_user, cycle, parse_id(request.args.get("region")))
    words = (request.args.get("words") or "")[:40]
    progress = (overview.physicians_progress(current_user.institution_id, cycle, words,
                                             paging.page_number(request.args.get("page")))
                if current_user.role == Role.INSTITUTION else None)
    return render_template("console/overview.html", cycle=cycle, view=view, stages=[name for name, _ in overview.STAGES],
                           progress=progress, words=words, label=label, form=ConfirmForm())


@bp.get("/overview.xlsx")
@staff_required()
def overview_export():
    """The same figures as a workbook: counts only, no one's personal data."""
    cycle = current_cycle(scopes.own_province_id(current_user))
    if cycle is None:
        abort(404)
    return xlsx(overview.workbook(overview.overview(current_user, cycle, parse_id(request.args.get("region")))),
                "概况.xlsx")


@bp.post("/overview/progress.xlsx")
@staff_required(Role.INSTITUTION)
def progress_export():
    """本院医师考核进度 as searched on 概况 (a POST with the token: the export is written in the audit log)."""
    cycle = current_cycle(scopes.own_province_id(current_user))
    if cycle is None or not ConfirmForm().validate_on_submit():
        abort(404 if cycle is None else 400)
    words = (request.form.get("words") or "")[:40]
    return xlsx(overview.progress_workbook(current_user, cycle, words, ip()), "本院医师考核进度.xlsx")


def stage() -> str:
    return Role.INSTITUTION if current_user.role == Role.INSTITUTION else Role.ASSESSOR


@bp.get("/reviews")
@staff_required(Role.INSTITUTION, Role.ASSESSOR)
def review_queue():
    words = (request.args.get("words") or "")[:40]
    page = paging.paginate(reviews.queue(stage(), scopes.institution_ids(current_user), words),
                           paging.page_number(request.args.get("page")))
    return render_template("console/reviews.html", page=page, words=words, form=ConfirmForm(), stage=stage())


@bp.get("/reviews/<int:registration_id>")
@staff_required()
def review_detail(registration_id: int):
    registration = in_scope_registration(registration_id)
    snapshot = latest_snapshot(registration)
    notices = db.session.scalars(select(Notification).where(Notification.physician_id == registration.physician_id)
                                 .order_by(Notification.id.desc()).limit(10)).all()
    steps = snapshot.data["steps"] if snapshot else {}
    return render_template(
        "console/review_detail.html", registration=registration, snapshot=snapshot, steps=steps,
        identity=snapshot.data["identity"] if snapshot else {}, status_label=label(registration.status), history=reviews.reviews_of(registration),
        notices=[(n, notifications.delivery_label(n)) for n in notices], notice_title=notifications.title_of,
        form=ConfirmForm(),
        blocked=reviews.no_assessment_body_message(registration),
        can_review=can_review(registration) and snapshot is not None,  # nothing submitted: nothing to approve
        subjects=enumerations.subjects(), lists=wizard.LISTS,
        department_names={str(d.id): d.name for d in db.session.scalars(
            select(Department).where(Department.institution_id == registration.physician.institution_id))},
        upload_url=lambda upload_id: url_for("console.upload", upload_id=upload_id),
        default_deadline=registration.cycle.registration_end)


def can_review(registration: Registration) -> bool:
    return registration.status == reviews.AWAITING.get(current_user.role)


@bp.post("/reviews/<int:registration_id>")
@staff_required(Role.INSTITUTION, Role.ASSESSOR)
def review_decide(registration_id: int):
    registration = in_scope_registration(registration_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return refused(form)
    approve = form.approve
    decision = Decision(approve, form.work_rating.data or None, form.ethics_rating.data or None,
                        form.reason.data or None, form.deadline.data)
    try:
        reviews.review(current_user, registration, stage(), decision, ip())
    except DomainError as exc:
        flash(str(exc))
        return redirect(url_for("console.review_detail", registration_id=registration_id))
    flash(f"已{'通过' if approve else '驳回'}：{registration.physician.name}")
    return redirect(url_for("console.review_queue"))


@bp.post("/reviews/batch")
@staff_required(Role.INSTITUTION, Role.ASSESSOR)
def review_batch():
    form = BatchReviewForm()
    if not form.validate_on_submit():
        return refused(form)
    chosen = [in_scope_registration(i) for i in form.registration_id.data]
    done, problems = reviews.batch_approve(current_user, chosen, stage(), ip())
    flash(f"批量通过{done}人。" + ("；".join(problems) if problems else ""))
    return redirect(url_for("console.review_queue"))


@bp.get("/exemptions")
@staff_required()
def exemptions():
    ids = scopes.institution_ids(current_user)
    query = (select(Exemption).join(Registration).join(Physician, Registration.physician_id == Physician.id)
             .where(Registration.institution_id.in_(ids)).order_by(Exemption.id.desc()))
    words = (request.args.get("words") or "")[:40]
    if words.strip():
        query = query.where(physicians.matching(words))
    if request.args.get("status") in set(ApplicationStatus):
        query = query.where(Exemption.status == request.args["status"])
    page = paging.paginate(query, paging.page_number(request.args.get("page")))
    return render_template("console/exemptions.html", page=page, words=words, args=request.args, form=ConfirmForm())


@bp.post("/exemptions/<int:exemption_id>")
@staff_required(Role.ASSESSOR)
def exemption_decide(exemption_id: int):
    exemption = db.session.get(Exemption, exemption_id)
    if exemption is None:
        abort(404)
    in_scope_registration(exemption.registration_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return refused(form)
    name = exemption.registration.physician.name
    outcome(lambda: reviews.review_exemption(current_user, exemption, form.approve, form.reason.data, ip()),
            lambda _: f"已{'通过' if form.approve else '驳回'}免考申请：{name}（已通知医师）")
    return redirect(url_for("console.exemptions"))


@bp.get("/uploads/<int:upload_id>")
@staff_required()
def upload(upload_id: int):
    row = db.session.get(Upload, upload_id)
    physician = db.session.get(Physician, row.physician_id) if row else None
    if row is None or physician is None or physician.institution_id not in scopes.institution_ids(current_user):
        abort(404)
    if row.kind == "face" and current_user.role != Role.ASSESSOR:
        abort(404)  # exam-time face photos are for the 考核机构 who reviews them (PIPL art. 28: only as needed)
    response = Response(uploads.content_of(row), mimetype=row.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/export/registrations.xlsx")
@staff_required()
def export_registrations():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return xlsx(spreadsheets.export_registrations(current_user, ip()), "报名情况.xlsx")


@bp.get("/audit")
@staff_required(Role.AUTHORITY)
def audit_log():
    """操作日志: the actions within this authority's region (its institutions, its subtree), by action,
    date range and who acted."""
    page = paging.paginate(audit_query(request.args), paging.page_number(request.args.get("page")))
    return render_template("console/audit.html", page=page, lines=audit.readable(page.rows), actions=audit.ACTIONS,
                           args=request.args, form=ConfirmForm())


def audit_query(values):
    def day(name: str):
        try:
            return authority.window_date(values.get(name) or "")
        except DomainError:
            return None  # a date that does not parse is not applied (a bad link is no error)
    filters = audit.Filters(values.get("action") or "", day("since"), day("until"), (values.get("actor") or "")[:40])
    return audit.searched(scopes.institution_ids(current_user), scopes.authority_ids(current_user.health_authority_id),
                          filters)


@bp.post("/audit/export.xlsx")
@staff_required(Role.AUTHORITY)
def audit_export():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    rows = db.session.scalars(audit_query(request.form).limit(AUDIT_EXPORT_ROWS)).all()
    return xlsx(spreadsheets.export_audit(current_user, list(rows), ip()), "操作日志.xlsx")


AUDIT_EXPORT_ROWS = 50_000  # a year of a province's actions; narrow the dates for more
