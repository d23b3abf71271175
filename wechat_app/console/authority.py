"""Console pages of a 卫生行政部门: cycles and windows, 考核机构申请 审核, assigning assessment bodies."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wechat_app.console.common import bp, ip, outcome, refused, staff_required
from wechat_app.domain import authority, paging, scopes, staff_accounts
from wechat_app.domain.cycles import WINDOWS
from wechat_app.domain.errors import DomainError
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm, DecisionForm
from wechat_app.forms.console import AccountForm, AssignBodyForm, InstitutionForm, SmsFallbackForm, WindowsForm
from wechat_app.inputs import parse_id
from wechat_app.models import (
    AssessmentBody,
    AssessorApplication,
    Cycle,
    HealthAuthority,
    Institution,
    Province,
    Staff,
)
from wechat_app.models.enums import Role


@bp.get("/cycles")
@staff_required(Role.AUTHORITY)
def cycles():
    rows = db.session.scalars(select(Cycle).where(Cycle.province_id == authority.province_id(current_user))
                              .order_by(Cycle.id)).all()
    province = db.session.get(Province, authority.province_id(current_user))
    return render_template("console/cycles.html", rows=rows, windows=WINDOWS + (("assessor_apply", "考核机构申请"),),
                           form=ConfirmForm(), editable=authority.owns_cycles(current_user), province=province)


@bp.get("/accounts")
@staff_required(Role.AUTHORITY)
def accounts():
    """机构与账号: the region's console accounts (paged) and institutions; the province creates them."""
    page = paging.paginate(staff_accounts.accounts_in(current_user), paging.page_number(request.args.get("page")))
    authority_node = scopes.own_authority(current_user)
    return render_template(
        "console/accounts.html", page=page, form=ConfirmForm(), editable=authority.owns_cycles(current_user),
        roles=staff_accounts.ROLES, kinds=staff_accounts.INSTITUTION_KINDS,
        institutions=db.session.scalars(select(Institution).where(Institution.id.in_(scopes.institution_ids(current_user)))
                                        .order_by(Institution.name)).all(),
        bodies=db.session.scalars(select(AssessmentBody).where(AssessmentBody.province_id == authority_node.province_id)
                                  .order_by(AssessmentBody.name)).all(),
        authorities=db.session.scalars(select(HealthAuthority).where(HealthAuthority.id.in_(
            scopes.authority_ids(authority_node.id))).order_by(HealthAuthority.id)).all())


@bp.post("/accounts")
@staff_required(Role.AUTHORITY)
def account_create():
    form = AccountForm()
    if not form.validate_on_submit():
        return refused(form)
    made = outcome(lambda: staff_accounts.create_account(current_user, form.role.data, parse_id(form.organisation.data),
                                                         form.username.data, form.name.data, ip()))
    if made is None:
        return redirect(url_for("console.accounts"))
    return shown_once("已创建账号", *made, url_for("console.accounts"))


def shown_once(what: str, account: Staff, password: str, back: str):
    """A one-time password in this response only: never in a flash (the session cookie is signed, not
    sealed), a log line or a cache."""
    return render_template("console/one_time_password.html", what=what, username=account.username, password=password,
                           back=back), 200, {"Cache-Control": "no-store"}


@bp.post("/accounts/<int:account_id>/<any(deactivate, activate, reset):action>")
@staff_required(Role.AUTHORITY)
def account_action(account_id: int, action: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if db.session.scalar(staff_accounts.accounts_in(current_user).where(Staff.id == account_id)) is None:
        abort(404)  # outside the region: as if it did not exist
    if action == "reset":
        made = outcome(lambda: staff_accounts.reset_password(current_user, account_id, ip()))
        if made is not None:
            return shown_once("已重置密码", *made, url_for("console.accounts"))
    else:
        outcome(lambda: staff_accounts.set_active(current_user, account_id, action == "activate", ip()),
                lambda account: f"已{'启用' if account.active else '停用'}账号 {account.username}")
    return redirect(url_for("console.accounts"))


@bp.post("/institutions/new")
@staff_required(Role.AUTHORITY)
def institution_create():
    form = InstitutionForm()
    if not form.validate_on_submit():
        return refused(form)
    outcome(lambda: staff_accounts.create_institution(current_user, form.name.data, form.kind.data, form.beds.data,
                                                      parse_id(form.authority.data), parse_id(form.body.data), ip()),
            lambda institution: f"已新建医疗卫生机构：{institution.name}")
    return redirect(url_for("console.accounts"))


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
    login = outcome(lambda: authority.review_application(current_user, application, form.approve, form.reason.data, ip()))
    if login:
        return shown_once("已审核通过，考核机构的登录账号已创建", *login, url_for("console.assessor_applications"))
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
