"""Console pages of a 卫生行政部门: cycles and windows, 考核机构申请 审核, assigning assessment bodies."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from wechat_app.console.common import bp, ip, outcome, refused, staff_required
from wechat_app.domain import authority, scopes
from wechat_app.domain.cycles import WINDOWS
from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm, DecisionForm
from wechat_app.forms.console import AssignBodyForm, SmsFallbackForm, WindowsForm
from wechat_app.models import AssessmentBody, AssessorApplication, Cycle, Institution, Province
from wechat_app.models.enums import Role


@bp.get("/cycles")
@staff_required(Role.AUTHORITY)
def cycles():
    rows = db.session.scalars(select(Cycle).where(Cycle.province_id == authority.province_id(current_user))
                              .order_by(Cycle.id)).all()
    province = db.session.get(Province, authority.province_id(current_user))
    return render_template("console/cycles.html", rows=rows, windows=WINDOWS + (("assessor_apply", "考核机构申请"),),
                           form=ConfirmForm(), editable=authority.owns_cycles(current_user), province=province)


@bp.post("/sms-fallback")
@staff_required(Role.AUTHORITY)
def sms_fallback():
    form = SmsFallbackForm()
    if not form.validate_on_submit() or form.choice.data not in ("on", "off"):
        return refused(form)
    on = form.choice.data == "on"
    outcome(lambda: authority.set_sms_fallback(current_user, on, ip()),
            lambda _: "已开启短信补发：未绑定微信的医师将收到短信通知。" if on else "已关闭短信补发。")
    return redirect(url_for("console.cycles"))


@bp.post("/cycles/<int:cycle_id>")
@staff_required(Role.AUTHORITY)
def cycle_save(cycle_id: int):
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None or cycle.province_id != authority.province_id(current_user):
        abort(404)
    form = WindowsForm()
    if not form.validate_on_submit():
        return refused(form)
    try:
        authority.update_windows(current_user, cycle, form.typed(), ip())
    except DomainError as exc:
        if exc.status == 403:
            raise  # not this authority's to change: the error page says so
        flash(str(exc))
    else:
        flash("考核时间安排已保存。")
    return redirect(url_for("console.cycles"))


@bp.get("/assessor-applications")
@staff_required(Role.AUTHORITY)
def assessor_applications():
    ids = scopes.institution_ids(current_user)
    rows = db.session.scalars(select(AssessorApplication).where(AssessorApplication.institution_id.in_(ids))
                              .order_by(AssessorApplication.id.desc())).all()
    return render_template("console/assessor_applications.html", rows=rows, form=ConfirmForm())


@bp.post("/assessor-applications/<int:application_id>")
@staff_required(Role.AUTHORITY)
def assessor_application_decide(application_id: int):
    application = db.session.get(AssessorApplication, application_id)
    if application is None:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        return refused(form)
    outcome(lambda: authority.review_application(current_user, application, form.approve, form.reason.data, ip()))
    return redirect(url_for("console.assessor_applications"))


@bp.get("/institutions")
@staff_required(Role.AUTHORITY)
def institutions():
    ids = scopes.institution_ids(current_user)
    rows = db.session.scalars(select(Institution).where(Institution.id.in_(ids)).order_by(Institution.id)).all()
    bodies = db.session.scalars(select(AssessmentBody).where(
        AssessmentBody.province_id == authority.province_id(current_user))).all()
    return render_template("console/institutions.html", rows=rows, bodies=bodies, form=ConfirmForm())


@bp.post("/institutions/<int:institution_id>/assessment-body")
@staff_required(Role.AUTHORITY)
def assign_body(institution_id: int):
    institution = db.session.get(Institution, institution_id)
    form = AssignBodyForm()
    body = db.session.get(AssessmentBody, form.body_id.data) if form.validate_on_submit() else None
    if institution is None or body is None:
        abort(404)
    try:
        authority.assign_body(current_user, institution, body, ip())
        flash(f"已为{institution.name}指定考核机构：{body.name}")
    except DomainError:
        abort(404)
    return redirect(url_for("console.institutions"))
