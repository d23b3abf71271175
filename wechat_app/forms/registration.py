"""The five steps of 我要报名 as forms: each field's length declared once, the lists of step 3 and 4
as FieldLists of the entries wizard.LISTS describes (named `filings-0-institution`, as WTForms names
them), the uploads of each step, and `action` (保存 / 下一步 / 添加 / 删除 / autosave).

A step form only checks shape; what the physician typed is saved as typed (domain/submission.py)
and checked for 下一步 by domain/wizard.py, so a half-filled step is never lost.
"""
from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import FieldList, FormField

from wechat_app.domain import wizard
from wechat_app.forms import Form, long_text, several, text

DATE = 10  # yyyy-mm-dd, as <input type="date"> sends it (yyyy-mm is accepted too)
ENTRY_TEXT = 200


def entry_form(name: str) -> type[Form]:
    """One row of a list of step 3 or 4, with the fields wizard.LISTS names (no CSRF of its own)."""
    _, fields = wizard.LISTS[name]
    attributes = {key: text(ENTRY_TEXT, label) for key, label, _ in fields}
    attributes["Meta"] = type("Meta", (), {"csrf": False})
    return type(f"{name.title()}Entry", (Form,), attributes)


def entries(name: str) -> FieldList:
    return FieldList(FormField(entry_form(name)), max_entries=wizard.MAX_LIST_ENTRIES)


class StepForm(Form):
    action = text(60)
    uploads: tuple[str, ...] = ()

    def typed(self) -> dict:
        """What was typed, as domain/submission.save_step takes it: strings, lists of strings,
        lists of entry dicts, and `remove_<upload>` ticks."""
        data = {}
        for field in self:
            if field.name in ("csrf_token", "action") or field.name in self.uploads:
                continue
            data[field.name] = [dict(entry.data) for entry in field] if isinstance(field, FieldList) else field.data
        return data

    def files(self) -> dict[str, list]:
        return {name: [f for f in (self[name].data or []) if f and f.filename] for name in self.uploads}

    def apply_list_action(self, data: dict) -> None:
        """添加 / 删除 an entry of a list in what was just typed (`add:filings`, `delete:filings:2`)."""
        verb, _, rest = (self.action.data or "").partition(":")
        name, _, index = rest.partition(":")
        if name not in wizard.LISTS or name not in data:
            return
        if verb == "add" and len(data[name]) < wizard.MAX_LIST_ENTRIES:
            data[name].append({key: "" for key, _, _ in wizard.LISTS[name][1]})
        elif verb == "delete" and index.isdigit() and int(index) < len(data[name]):
            data[name].pop(int(index))


class BasicStep(StepForm):
    """第一步 基本信息."""

    uploads = ("photo",)
    photo = MultipleFileField()
    remove_photo = several(10, 12)
    gender = text(2, "性别")
    ethnicity = text(20, "民族")
    birth = text(DATE, "出生年月")
    education = text(20, "学历")
    email = text(80, "电子邮箱")


class PracticeStep(StepForm):
    """第二步 执业信息."""

    uploads = ("certificate_pages",)
    certificate_pages = MultipleFileField()
    remove_certificate_pages = several(10, 12)
    department = text(12, "科室")
    specialties = several(50, 10)
    title = text(20, "职称")
    title_date = text(DATE, "职称取得时间")
    post = text(40, "职务")
    post_date = text(DATE, "任职时间")
    level = text(20, "医师级别")
    resident = text(2, "是否为规培生")
    residency_passed_on = text(DATE, "规培合格时间")
    category = text(10, "执业类别")
    scope = text(40, "执业范围")
    certificate_number = text(40, "执业证书编号")
    certificate_date = text(DATE, "执业证书取得时间")
    certificate_kind = text(10, "证书类型")


class ExperienceStep(StepForm):
    """第三步 相关经历."""

    filings = entries("filings")
    education = entries("education")
    practice = entries("practice")


class ConductStep(StepForm):
    """第四步 工作成绩/职业道德."""

    good_record = text(2, "良好执业行为记录")
    bad_record = text(2, "不良执业行为记录")
    workload = text(4, "完成工作数量")
    patients = text(12, "诊疗人次")
    surgeries = text(12, "手术台次")
    examinations = text(12, "检查人次")
    good_entries = entries("good_entries")
    bad_entries = entries("bad_entries")


class ProcedureStep(StepForm):
    """第五步 考核程序."""

    uploads = ("evidence",)
    evidence = MultipleFileField()
    remove_evidence = several(20, 12)
    procedure = text(10, "考核程序")
    statement = long_text(wizard.STATEMENT_MAX, "个人述职")


STEP_FORMS: dict[int, type[StepForm]] = {1: BasicStep, 2: PracticeStep, 3: ExperienceStep, 4: ConductStep,
                                         5: ProcedureStep}
