"""Console pages of a 医疗卫生机构: 科室, 医师管理 (list, 新增, 导入/导出, 调入, 调离, 重置密码,
解绑手机), 开通报名, 考核机构申请."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from wechat_app.console.common import (
    bp,
    import_outcome,
    in_scope_physician,
    ip,
    outcome,
    refused,
    staff_required,
    xlsx,
)
from wechat_app.domain import enumerations, paging, physicians, record, spreadsheets
from wechat_app.domain.authority import DEFAULT_ASSESSOR_CRITERIA, apply_as_assessor
from wechat_app.domain.cycles import current_cycle
from wechat_app.domain.errors import DomainError
from wechat_app.domain.registration import label
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm, flat_errors
from wechat_app.forms.console import (
    AssessorApplicationForm,
    DepartmentForm,
    DepartmentSearch,
    EnrollForm,
    ImportForm,
    PhysicianFilter,
    PhysicianForm,
    TransferInForm,
    TransferOutForm,
    TransferSearchForm,
)
from wechat_app.inputs import parse_id
from wechat_app.models import AssessorApplication, Cycle, Department, Physician, Registration, Staff
from wechat_app.models.enums import Role, Status

PAGE = 20


def own_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or department.institution_id != current_user.institution_id:
        abort(404)
    return department


@bp.get("/departments")
@staff_required(Role.INSTITUTION)
def departments():
    """科室管理, searched by name and status, twenty a page."""
    search = DepartmentSearch(request.args, meta={"csrf": False}).applicable()
    query = select(Department).where(Department.institution_id == current_user.institution_id)
    if search.name.data:
        query = query.where(Department.name.contains(search.name.data))
    if search.status.data in ("enabled", "disabled"):
        query = query.where(Department.enabled.is_(search.status.data == "enabled"))
    page = min(search.page.data or 1, 10_000)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(Department.id).offset((page - 1) * PAGE).limit(PAGE)).all()
    editing = own_department(parse_id(request.args.get("edit")) or 0) if request.args.get("edit") else None
    return render_template("console/departments.html", rows=rows, editing=editing, form=ConfirmForm(),
                           search=search, page=page, pages=max(1, -(-total // PAGE)), offset=(page - 1) * PAGE,
                           catalogue=enumerations.raw()["clinical_subjects_catalogue"], subjects=enumerations.subjects())


@bp.post("/departments")
@staff_required(Role.INSTITUTION)
def department_save():
    form = DepartmentForm()
    if not form.validate_on_submit():
        return refused(form)
    department = own_department(form.id.data) if form.id.data else None
    outcome(lambda: physicians.save_department(current_user, form.name.data, form.subject_codes.data, department, ip()),
            lambda _: "科室已保存。")
    return redirect(url_for("console.departments"))


@bp.post("/departments/<int:department_id>/<action>")
@staff_required(Role.INSTITUTION)
def department_action(department_id: int, action: str):
    department = own_department(department_id)
    if not ConfirmForm().validate_on_submit() or action not in ("enable", "disable", "delete"):
        abort(400)
    if action == "delete":
        outcome(lambda: physicians.delete_department(current_user, department, ip()))
    else:
        outcome(lambda: physicians.set_department_enabled(current_user, department, action == "enable", ip()))
    return redirect(url_for("console.departments"))


def physician_list(filters: PhysicianFilter):
    """The institution's physicians with the filters of the seed (科室, 首次注册时间, 状态, 是否参加本周期)
    and a search by name or ID number, as a query in the order the list shows."""
    cycle = current_cycle(current_user.institution.province_id)
    query = (select(Physician, Registration).outerjoin(Registration, (Registration.physician_id == Physician.id)
                                                       & (Registration.cycle_id == (cycle.id if cycle else -1)))
             .where(Physician.institution_id == current_user.institution_id).order_by(Physician.id))
    if filters.words.data:
        query = query.where(physicians.matching(filters.words.data))
    if filters.department.data:
        query = query.where(Physician.department_id == filters.department.data)
    if filters.registered_from.data:
        query = query.where(Physician.certificate_date >= filters.registered_from.data)
    if filters.enrolled.data == "yes":
        query = query.where(Registration.id.is_not(None))
    elif filters.enrolled.data == "no":
        query = query.where(Registration.id.is_(None))
    if filters.status.data == Status.NOT_OPEN:
        query = query.where(Registration.id.is_(None))
    elif filters.status.data in set(Status):
        query = query.where(Registration.status == filters.status.data)
    return query


@bp.get("/physicians")
@staff_required(Role.INSTITUTION)
def physicians_page():
    filters = PhysicianFilter(request.args, meta={"csrf": False}).applicable()
    page = paging.paginate(physician_list(filters), paging.page_number(request.args.get("page")), rows_as_tuples=True)
    departments = db.session.scalars(select(Department).where(Department.institution_id == current_user.institution_id)).all()
    return render_template("console/physicians.html", page=page, label=label, departments=departments,
                           statuses=list(Status), args=request.args, form=ConfirmForm())


@bp.post("/physicians/export.xlsx")
@staff_required(Role.INSTITUTION)
def physicians_export():
    filters = PhysicianFilter()
    if not filters.validate_on_submit():
        abort(400)
    return xlsx(spreadsheets.export_physicians(current_user, db.session.execute(physician_list(filters)).all(), ip()),
                "医师列表.xlsx")


@bp.get("/physicians/template.xlsx")
@staff_required(Role.INSTITUTION)
def physicians_template():
    return xlsx(spreadsheets.import_template(), "医师导入模板.xlsx")


@bp.post("/physicians/import")
@staff_required(Role.INSTITUTION)
def physicians_import():
    form = ImportForm()
    if not form.validate_on_submit():
        return refused(form)
    return import_outcome(spreadsheets.import_physicians(current_user, form.file.data.read(spreadsheets.MAX_BYTES + 1),
                                                        ip()), "名医师", "console.physicians_page")


@bp.route("/physicians/new", methods=["GET", "POST"])
@staff_required(Role.INSTITUTION)
def physician_new():
    form = PhysicianForm()
    data, errors = form.to_input(), {}
    if form.is_submitted() and not form.validate():
        errors = flat_errors(form.errors)
    elif form.is_submitted():
        try:
            _, handed_out = physicians.create_physician(current_user, data, ip())
        except DomainError as exc:
            errors = exc.fields
        else:
            flash(f"已新增医师：{data.name}（{initial_password_note(handed_out)}）")
            return redirect(url_for("console.physicians_page"))
    departments = db.session.scalars(select(Department).where(Department.institution_id == current_user.institution_id,
                                                              Department.enabled.is_(True))).all()
    return render_template("console/physician_new.html", data=data, errors=errors, departments=departments,
                           form=form, enums=enumerations), 400 if errors else 200


def initial_password_note(handed_out: str | None) -> str:
    if handed_out is None:
        return "初始密码666666，首次登录需输入发送至登记手机的验证码"
    return f"一次性初始密码：{handed_out}，仅显示这一次，请当面交给医师本人；首次登录后须修改密码并绑定手机"


@bp.post("/physicians/<int:physician_id>/<action>")
@staff_required(Role.INSTITUTION)
def physician_action(physician_id: int, action: str):
    physician = in_scope_physician(physician_id)
    form = TransferOutForm()
    if not form.validate_on_submit():
        return refused(form)
    try:
        if action == "transfer-out":
            physicians.transfer_out(current_user, physician, form.reason.data, ip())
            flash(f"已调离：{physician.name}")
        elif action == "reset-password":
            handed_out = physicians.reset_password(current_user, physician, ip())
            flash(f"已重置密码：{physician.name}（{initial_password_note(handed_out)}）")
        elif action == "unbind-phone":
            physicians.unbind_phone(current_user, physician, ip())
            flash(f"已解绑手机：{physician.name}")
        else:
            abort(404)
    except DomainError as exc:
        flash(str(exc))
    return redirect(url_for("console.physicians_page"))


@bp.get("/physicians/<int:physician_id>/history")
@staff_required()
def physician_history(physician_id: int):
    """变更记录: what approved registrations changed in the record, by whom, from which cycle."""
    physician = in_scope_physician(physician_id)
    changes = record.history(physician)
    names = {s.id: s.name for s in db.session.scalars(select(Staff).where(Staff.id.in_({c.changed_by for c in changes})))}
    cycles = {c.id: c.name for c in db.session.scalars(select(Cycle).where(Cycle.id.in_({c.cycle_id for c in changes})))}
    return render_template("console/physician_history.html", physician=physician, changes=changes, names=names,
                           cycles=cycles, labels=record.LABELS)


@bp.get("/physicians/transfer-in")
@staff_required(Role.INSTITUTION)
def transfer_in():
    return render_template("console/transfer_in.html", found=[], query="", form=ConfirmForm())


@bp.post("/physicians/transfer-in/search")
@staff_required(Role.INSTITUTION)
def transfer_in_search():
    """A POST, so that the ID number searched for stays out of URLs, histories and access logs."""
    form = TransferSearchForm()
    if not form.validate_on_submit():
        return refused(form)
    query = form.id_number.data
    found = physicians.transfer_candidates(current_user, query) if query else []
    return render_template("console/transfer_in.html", found=found, query=query, form=form)


@bp.post("/physicians/transfer-in")
@staff_required(Role.INSTITUTION)
def transfer_in_confirm():
    form = TransferInForm()
    physician = db.session.get(Physician, form.physician_id.data) if form.validate_on_submit() else None
    if physician is None:
        abort(404)
    try:
        physicians.transfer_in(current_user, physician, ip())
    except DomainError as exc:
        flash(str(exc))
        return redirect(url_for("console.transfer_in"))
    flash(f"已调入：{physician.name}")
    return redirect(url_for("console.physicians_page"))


@bp.post("/enroll")
@staff_required(Role.INSTITUTION)
def enroll():
    form = EnrollForm()
    if not form.validate_on_submit():
        return refused(form)
    if form.scope.data == "all":
        unopened = physician_list(PhysicianFilter(formdata=None, meta={"csrf": False})).where(Registration.id.is_(None))
        chosen = [p for p, _ in db.session.execute(unopened)]
    else:
        chosen = [in_scope_physician(i) for i in form.physician_id.data]
    outcome(lambda: physicians.enroll_physicians(current_user, chosen, ip()),
            lambda result: f"已开通报名{result[0]}人。" + "；".join(result[1][:10]))
    return redirect(url_for("console.physicians_page"))


@bp.route("/assessor-application", methods=["GET", "POST"])
@staff_required(Role.INSTITUTION)
def assessor_application():
    form = AssessorApplicationForm()
    if form.is_submitted() and not form.validate():
        return refused(form)
    if form.is_submitted():
        outcome(lambda: apply_as_assessor(current_user, form.kind.data, form.beds.data, form.physicians.data,
                                          form.description.data, ip()),
                lambda _: "考核机构申请已提交，请等待卫生行政部门审核。")
        return redirect(url_for("console.assessor_application"))
    applications = db.session.scalars(select(AssessorApplication).where(
        AssessorApplication.institution_id == current_user.institution_id).order_by(AssessorApplication.id.desc())).all()
    return render_template("console/assessor_application.html", applications=applications, form=ConfirmForm(),
                           kinds=list(DEFAULT_ASSESSOR_CRITERIA))
