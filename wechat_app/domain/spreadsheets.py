"""Excel in and out (openpyxl): the physician import template, the import itself (all or nothing
per file, errors by row in Chinese) and the exports. ID numbers are masked in every export."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select

from wechat_app.domain import audit
from wechat_app.domain.errors import DomainError
from wechat_app.domain.physicians import PhysicianInput, add_physician, validate_physician
from wechat_app.domain.registration import label
from wechat_app.domain.scopes import institution_ids
from wechat_app.domain.transaction import unit_of_work
from wechat_app.extensions import db
from wechat_app.models import AuditLog, Department, Physician, Registration, Staff

COLUMNS = ("姓名", "性别", "证件类型", "证件号码", "科室", "医师级别", "执业类别", "执业范围", "执业证书编码",
           "执业证书取得时间", "资格证书编码", "资格证书取得时间", "职称")
REQUIRED = {"姓名", "性别", "证件类型", "证件号码", "执业类别", "执业范围", "执业证书编码", "资格证书编码"}
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 50
# What the file may hold once unpacked: 5,000 rows of the templates take about 4 MB. A 300 KB file
# that unpacks to 150 MB (a zip bomb) tied a worker until gunicorn killed it (issue 20): openpyxl
# reads the shared strings whole even in read-only mode. zipfile never inflates a member past the
# size its header declares, so the declared sizes bound the work.
MAX_UNPACKED_BYTES = 16 * 1024 * 1024
MAX_MEMBERS = 200
# OWASP's CSV/formula injection rule: a cell beginning with one of these is a formula (or becomes
# one when edited) in Excel and WPS.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_template() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "医师信息"
    sheet.append(COLUMNS)
    sheet.append(("张三", "男", "身份证", "430103198001010012", "内科", "执业医师", "临床", "内科专业", "110430100000001",
                  "2005-07-01", "200543110430100001", "2004-12-01", "主治医师"))
    notes = workbook.create_sheet("填写说明")
    for line in ("必填的列：" + "、".join(c for c in COLUMNS if c in REQUIRED) + "（其余可不填）。",
                 "证件号码：身份证可填15位或18位，尾号X大小写均可；已在系统中的医师请使用【调入医师】。",
                 "科室：须与本机构【科室管理】中的名称一致，可不填。", "日期格式：2005-07-01。",
                 "导入为整表导入：任意一行有误则整表不导入，请按提示修改后重新上传。", "请删除示例行后再填写。"):
        notes.append((line,))
    return workbook_bytes(workbook)


def cell_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value).strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValueError("日期格式应为2005-07-01") from None


UNREADABLE = "无法读取该文件，请使用下载的导入模板（.xlsx）。"


def unpacked_problem(data: bytes) -> str | None:
    """Why the file must not be opened, judged from its zip directory alone (nothing inflated)."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (BadZipFile, OSError, ValueError):
        return UNREADABLE
    if len(members) > MAX_MEMBERS or sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        return f"文件解压后超过{MAX_UNPACKED_BYTES // 1024 // 1024}MB，请删除多余的内容或分批导入。"
    return None


def read_sheet(data: bytes, columns: tuple[str, ...] = COLUMNS) -> tuple[list[tuple], list[str]]:
    """The rows of an uploaded import file (header first, as `columns`), or the reason it cannot be read:
    too large packed or unpacked, or more rows or columns than an import takes, all said before a row is read."""
    if len(data) > MAX_BYTES:
        return [], ["文件过大（不超过2MB），请分批导入。"]
    problem = unpacked_problem(data)
    if problem:
        return [], [problem]
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError, IndexError):
        return [], [UNREADABLE]
    # The sheet's declared dimensions (when it has them), refused before any row is parsed; twice the
    # rows taken, since formatted empty rows count in them.
    if (sheet.max_row or 0) > 2 * MAX_ROWS or (sheet.max_column or 0) > MAX_COLUMNS:
        return [], [f"表格超过{MAX_ROWS}行或{MAX_COLUMNS}列，请删除多余的行列或分批导入。"]
    rows = list(sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2, max_col=len(columns)))
    if not rows or [str(c or "").strip().lstrip("*") for c in rows[0][:len(columns)]] != list(columns):
        return [], ["表头与导入模板不一致，请下载最新模板。"]
    return rows, []


def row_input(row: tuple, values: dict[str, str], departments: dict[str, int]) -> PhysicianInput:
    """One sheet row as the 新增医师 form would have it; ValueError for an unreadable date."""
    return PhysicianInput(
        name=values["姓名"], gender=values["性别"], id_type=values["证件类型"] or "身份证",
        id_number=values["证件号码"], level=values["医师级别"], category=values["执业类别"],
        practice_scope=values["执业范围"], certificate_number=values["执业证书编码"],
        certificate_date=cell_date(row[9] if len(row) > 9 else None),
        qualification_number=values["资格证书编码"],
        qualification_date=cell_date(row[11] if len(row) > 11 else None),
        department_id=departments.get(values["科室"]), title=values["职称"])


def row_problems(staff: Staff, item: PhysicianInput, values: dict[str, str], departments: dict[str, int],
                 same_as_row: int | None) -> dict[str, str]:
    problems = validate_physician(item, staff.institution_id)
    if values["科室"] and values["科室"] not in departments:
        problems["department_id"] = f"本机构没有名为“{values['科室']}”的科室"
    if same_as_row is not None:
        problems["id_number"] = f"与第{same_as_row}行证件号码重复"
    return problems


def import_physicians(staff: Staff, data: bytes, ip: str | None) -> tuple[int, list[str]]:
    """All rows or none: returns (created, errors by row)."""
    rows, errors = read_sheet(data)
    if errors:
        return 0, errors
    departments = {d.name: d.id for d in db.session.query(Department).filter_by(institution_id=staff.institution_id)}
    inputs: list[PhysicianInput] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        values = {column: ("" if value is None else str(value).strip()) for column, value in zip(COLUMNS, row,
                                                                                                strict=False)}
        if not any(values.values()):
            continue
        try:
            item = row_input(row, values, departments)
        except ValueError as exc:
            errors.append(f"第{number}行：{exc}")
            continue
        problems = row_problems(staff, item, values, departments, seen.get(item.id_number.upper()))
        seen.setdefault(item.id_number.upper(), number)
        if problems:
            errors.append(f"第{number}行：" + "；".join(p.rstrip("。") for p in problems.values()) + "。")
        inputs.append(item)
    if len(rows) > MAX_ROWS + 1:
        errors.append(f"一次最多导入{MAX_ROWS}行。")
    if errors:
        return 0, errors
    if not inputs:
        return 0, ["表格中没有医师数据。"]
    try:
        with unit_of_work():  # all rows or none
            for item in inputs:
                add_physician(staff, item, ip)
            audit.record("staff", staff.id, "physician_import", "institution", staff.institution_id, ip,
                         count=len(inputs))
    except DomainError as exc:
        return 0, [exc.message]
    return len(inputs), []


def as_text(cell) -> None:
    """A value that would be read as a formula is kept as the text it is (quote prefix, string type)."""
    if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True


def export(title: str, header: tuple[str, ...], rows: list[tuple]) -> bytes:
    """Every export of the console: names, titles and reasons typed by someone are never formulas."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for sheet_row in sheet.iter_rows(min_row=2):
        for cell in sheet_row:
            as_text(cell)
    return workbook_bytes(workbook)


AUDIT_EXPORT_HEADER = ("时间", "操作人", "操作", "对象", "IP", "说明")


def export_audit(staff: Staff, rows: list[AuditLog], ip: str | None) -> bytes:
    """操作日志 as filtered on the page; the export is itself an action in the log."""
    data = export("操作日志", AUDIT_EXPORT_HEADER, [
        (f"{line.time:%Y-%m-%d %H:%M:%S}", line.actor, line.action, line.target, line.ip, line.detail)
        for line in audit.readable(rows)])
    with unit_of_work():
        audit.record("staff", staff.id, "export_audit", "staff", staff.id, ip, rows=len(rows))
    return data


REGISTRATION_EXPORT_HEADER = ("医疗卫生机构", "姓名", "证件号码", "当前任务", "考核程序", "提交时间")


def export_registrations(staff: Staff, ip: str | None) -> bytes:
    """导出报名情况 of every institution in the staff member's scope, recorded in the audit log in
    the same transaction (an export of personal data is an action, asked for by a POST)."""
    rows = db.session.execute(select(Registration, Physician).join(Physician, Registration.physician_id == Physician.id)
                              .where(Physician.institution_id.in_(institution_ids(staff)))
                              .order_by(Physician.institution_id, Physician.id)).all()
    data = export("报名情况", REGISTRATION_EXPORT_HEADER, [
        (p.institution.name, p.name, p.masked_id_number, label(r.status), r.procedure or "",
         f"{r.submitted_at:%Y-%m-%d %H:%M}" if r.submitted_at else "") for r, p in rows])
    with unit_of_work():
        audit.record("staff", staff.id, "export_registrations", "staff", staff.id, ip, rows=len(rows))
    return data


def export_physicians(staff: Staff, rows: list[tuple[Physician, Registration | None]], ip: str | None) -> bytes:
    """The institution's 医师列表 as filtered on the page, recorded like any export."""
    data = export("医师列表", PHYSICIAN_EXPORT_HEADER, physician_rows(
        [p for p, _ in rows], {p.id: label(r.status if r else None) for p, r in rows}))
    with unit_of_work():
        audit.record("staff", staff.id, "export_physicians", "institution", staff.institution_id, ip, rows=len(rows))
    return data


def physician_rows(physicians, labels: dict[int, str]) -> list[tuple]:
    return [(p.name, p.gender, p.id_type, p.masked_id_number, p.department.name if p.department else "",
             p.level or "", p.category or "", p.practice_scope or "", p.certificate_number or "", labels.get(p.id, ""))
            for p in physicians]


PHYSICIAN_EXPORT_HEADER = ("姓名", "性别", "证件类型", "证件号码", "科室", "医师级别", "执业类别", "执业范围", "执业证书编码",
                           "本周期状态")
