"""Console pages of a 医疗卫生机构: 科室, 医师管理 (list, 新增, 导入/导出, 调入, 调离, 重置密码,
解绑手机), 开通报名, 考核机构申请."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from wechat_app.console.common import bp, in_scope_physician, ip, parse_date, staff_required, xlsx
from wechat_app.domain import enumerations, physicians, spreadsheets
from wechat_app.domain.authority import DEFAULT_ASSESSOR_CRITERIA, apply_as_assessor
from wechat_app.domain.cycles import current_cycle
from wechat_app.domain.errors import DomainError
from wechat_app.domain.physicians import PhysicianInput
from wechat_app.domain.registration import label
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm
from wechat_app.inputs import parse_count, parse_id
from wechat_app.models import AssessorApplication, Department, Physician, Registration
from wechat_app.models.enums import Role


def own_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or department.institution_id != current_user.institution_id:
        abort(404)
    return department


@bp.get("/departments")
@staff_required(Role.INSTITUTION)
def departments():
    rows = db.session.scalars(select(Department).where(Department.institution_id == current_user.institution_id)
                              .order_by(Department.id)).all()
    editing = own_department(parse_id(request.args.get("edit")) or 0) if request.args.get("edit") else None
    return render_template("console/departments.html", rows=rows, editing=editing, form=ConfirmForm(),
                           catalogue=enumerations.raw()["clinical_subjects_catalogue"], subjects=enumerations.subjects())


@bp.post("/departments")
@staff_required(Role.INSTITUTION)
def department_save():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    department = own_department(parse_id(request.form.get("id")) or 0) if request.form.get("id") else None
    try:
        physicians.save_department(current_user, request.form.get("name", ""), request.form.getlist("subject_codes"),
                                   department, ip())
        flash("科室已保存。")
    except DomainError as exc:
        flash(str(exc))
    return redirect(url_for("console.departments"))


@bp.post("/departments/<int:department_id>/<action>")
@staff_required(Role.INSTITUTION)
def department_action(department_id: int, action: str):
    department = own_department(department_id)
    if not ConfirmForm().validate_on_submit() or action not in ("enable", "disable", "delete"):
        abort(400)
    try:
        if action == "delete":
            physicians.delete_department(current_user, department, ip())
        else:
            physicians.set_department_enabled(current_user, department, action == "enable", ip())
    except DomainError as exc:
        flash(str(exc))
    return redirect(url_for("console.departments"))


def physician_list(args=None):
    """The institution's physicians with the filters of the seed (科室, 首次注册时间, 状态, 是否参加本周期),
    read from the query string (the page) or the posted form (its export)."""
    cycle = current_cycle(current_user.institution.province_id)
    query = (select(Physician, Registration).outerjoin(Registration, (Registration.physician_id == Physician.id)
                                                       & (Registration.cycle_id == (cycle.id if cycle else -1)))
             .where(Physician.institution_id == current_user.institution_id).order_by(Physician.id))
    args = request.args if args is None else args
    if parse_id(args.get("department")):
        query = query.where(Physician.department_id == int(args["department"]))
    if parse_date(args.get("registered_from")):
        query = query.where(Physician.certificate_date >= parse_date(args["registered_from"]))
    if args.get("enrolled") == "yes":
        query = query.where(Registration.id.is_not(None))
    elif args.get("enrolled") == "no":
        query = query.where(Registration.id.is_(None))
    if args.get("status"):
        query = query.where(Registration.status == args["status"])
    return db.session.execute(query).all()


@bp.get("/physicians")
@staff_required(Role.INSTITUTION)
def physicians_page():
    rows = physician_list()
    departments = db.session.scalars(select(Department).where(Department.institution_id == current_user.institution_id)).all()
    return render_template("console/physicians.html", rows=rows, label=label, departments=departments,
                           args=request.args, form=ConfirmForm())


@bp.post("/physicians/export.xlsx")
@staff_required(Role.INSTITUTION)
def physicians_export():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return xlsx(spreadsheets.export_physicians(current_user, physician_list(request.form), ip()), "医师列表.xlsx")


@bp.get("/physicians/template.xlsx")
@staff_required(Role.INSTITUTION)
def physicians_template():
    return xlsx(spreadsheets.import_template(), "医师导入模板.xlsx")


@bp.post("/physicians/import")
@staff_required(Role.INSTITUTION)
def physicians_import():
    file = request.files.get("file")
    if not ConfirmForm().validate_on_submit() or file is None or not file.filename:
        flash("请选择要导入的Excel文件。")
        return redirect(url_for("console.physicians_page"))
    created, errors = spreadsheets.import_physicians(current_user, file.read(spreadsheets.MAX_BYTES + 1), ip())
    if errors:
        return render_template("console/import_errors.html", errors=errors), 400
    flash(f"成功导入{created}名医师。")
    return redirect(url_for("console.physicians_page"))


def physician_form_input(form) -> PhysicianInput:
    return PhysicianInput(
        name=form.get("name", ""), gender=form.get("gender", ""), id_type=form.get("id_type", "身份证"),
        id_number=form.get("id_number", ""), level=form.get("level", ""), category=form.get("category", ""),
        practice_scope=form.get("practice_scope", ""), certificate_number=form.get("certificate_number", ""),
        certificate_date=parse_date(form.get("certificate_date")),
        qualification_number=form.get("qualification_number", ""),
        qualification_date=parse_date(form.get("qualification_date")), department_id=parse_id(form.get("department_id")),
        title=form.get("title", ""), title_date=parse_date(form.get("title_date")),
        birth_date=parse_date(form.get("birth_date")), education=form.get("education", ""),
        email=form.get("email", ""), ethnicity=form.get("ethnicity", ""))


@bp.route("/physicians/new", methods=["GET", "POST"])
@staff_required(Role.INSTITUTION)
def physician_new():
    data, errors = PhysicianInput("", "", "身份证", ""), {}
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        data = physician_form_input(request.form)
        try:
            physicians.create_physician(current_user, data, ip())
        except DomainError as exc:
            errors = exc.fields
        else:
            flash(f"已新增医师：{data.name}（初始密码666666）")
            return redirect(url_for("console.physicians_page"))
    departments = db.session.scalars(select(Department).where(Department.institution_id == current_user.institution_id,
                                                              Department.enabled.is_(True))).all()
    return render_template("console/physician_new.html", data=data, errors=errors, departments=departments,
                           form=ConfirmForm(), enums=enumerations), 400 if errors else 200


@bp.post("/physicians/<int:physician_id>/<action>")
@staff_required(Role.INSTITUTION)
def physician_action(physician_id: int, action: str):
    physician = in_scope_physician(physician_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if action == "transfer-out":
            physicians.transfer_out(current_user, physician, request.form.get("reason", ""), ip())
            flash(f"已调离：{physician.name}")
        elif action == "reset-password":
            physicians.reset_password(current_user, physician, ip())
            flash(f"已重置密码为666666：{physician.name}")
        elif action == "unbind-phone":
            physicians.unbind_phone(current_user, physician, ip())
            flash(f"已解绑手机：{physician.name}")
        else:
            abort(404)
    except DomainError as exc:
        flash(str(exc))
    return redirect(url_for("console.physicians_page"))


@bp.get("/physicians/transfer-in")
@staff_required(Role.INSTITUTION)
def transfer_in():
    return render_template("console/transfer_in.html", found=[], query="", form=ConfirmForm())


@bp.post("/physicians/transfer-in/search")
@staff_required(Role.INSTITUTION)
def transfer_in_search():
    """A POST, so that the ID number searched for stays out of URLs, histories and access logs."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    query = request.form.get("id_number", "")[:40]
    found = physicians.transfer_candidates(current_user, query) if query.strip() else []
    return render_template("console/transfer_in.html", found=found, query=query, form=ConfirmForm())


@bp.post("/physicians/transfer-in")
@staff_required(Role.INSTITUTION)
def transfer_in_confirm():
    physician = db.session.get(Physician, parse_id(request.form.get("physician_id")) or 0)
    if physician is None or not ConfirmForm().validate_on_submit():
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
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if request.form.get("scope") == "all":
        chosen = [p for p, r in physician_list() if r is None]
    else:
        chosen = [in_scope_physician(i) for i in map(parse_id, request.form.getlist("physician_id")) if i]
    try:
        done, problems = physicians.enroll_physicians(current_user, chosen, ip())
        flash(f"已开通报名{done}人。" + ("；".join(problems[:10]) if problems else ""))
    except DomainError as exc:
        flash(str(exc))
    return redirect(url_for("console.physicians_page"))


@bp.route("/assessor-application", methods=["GET", "POST"])
@staff_required(Role.INSTITUTION)
def assessor_application():
    if request.method == "POST" and ConfirmForm().validate_on_submit():
        try:
            apply_as_assessor(current_user, request.form.get("kind", ""), parse_count(request.form.get("beds")),
                              parse_count(request.form.get("physicians")), request.form.get("description", "")[:1000], ip())
            flash("考核机构申请已提交，请等待卫生行政部门审核。")
        except DomainError as exc:
            flash(str(exc))
        return redirect(url_for("console.assessor_application"))
    applications = db.session.scalars(select(AssessorApplication).where(
        AssessorApplication.institution_id == current_user.institution_id).order_by(AssessorApplication.id.desc())).all()
    return render_template("console/assessor_application.html", applications=applications, form=ConfirmForm(),
                           kinds=list(DEFAULT_ASSESSOR_CRITERIA))
