"""The five steps of 我要报名: their fields, the lists inside them, and what 下一步 checks.

Step data is kept as the physician typed it (strings, lists of dicts) in `Registration.draft`, so
that nothing is lost on a validation error; `validate(step, ...)` returns {field: message} in
Chinese. Labels, hints and limits follow the seed's pages (第二步 to 第七步).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from wechat_app.domain import eligibility, enumerations
from wechat_app.domain.idnumbers import is_resident_form, stated_in

STEPS = {1: "基本信息", 2: "执业信息", 3: "相关经历", 4: "工作成绩/职业道德", 5: "考核程序"}

# The lists of step 3 and 4: their fields (key, label, required).
LISTS: dict[str, tuple[str, tuple[tuple[str, str, bool], ...]]] = {
    "filings": ("多机构备案", (("institution", "备案机构", True), ("department", "科室", False), ("post", "职务", False))),
    "education": ("教育经历（大专及以上）", (("level", "学历", True), ("school", "学校", True), ("major", "专业", False),
                                   ("start", "开始时间", True), ("end", "结束时间", True))),
    "practice": ("执业经历", (("institution", "执业机构", True), ("department", "科室/岗位", False),
                           ("start", "开始时间", True), ("end", "结束时间", False))),
    "good_entries": ("良好执业行为记录", (("kind", "类别", True), ("title", "名称", True), ("level", "级别", True),
                                   ("date", "时间", True), ("issuer", "授予/下达单位", True))),
    "bad_entries": ("不良执业行为记录", (("kind", "类别", True), ("description", "情况说明", True), ("date", "时间", True))),
}
LIST_STEP = {"filings": 3, "education": 3, "practice": 3, "good_entries": 4, "bad_entries": 4}
GOOD_KINDS = ("表彰奖励", "政府指令性任务", "科研成果")
GOOD_LEVELS = ("国家级", "省级", "设区的市级", "县级及以下")
BAD_KINDS = ("行政处罚", "处分", "医疗事故", "其他")
EXEMPTION_CATEGORIES = ("本周期内晋升上一级专业技术职务", "本周期内通过住院医师规范化培训", "其他符合免考规定的情形")
STATEMENT_MIN, STATEMENT_MAX = 50, 2000
MAX_LIST_ENTRIES = 20
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class Context:
    """What validation needs to know beyond the typed data."""

    id_number_18: str | None
    departments: dict[str, list[str]]  # department id → its 诊疗科目 codes
    period_start: date
    period_end: date
    cutoff: date
    rules: dict
    department_names: dict[str, str] = field(default_factory=dict)  # for the form's choices


def parse_date(value: str | None) -> date | None:
    """YYYY-MM-DD, or YYYY-MM (the first of the month); None when empty or malformed."""
    value = (value or "").strip()
    for pattern in ("%Y-%m-%d", "%Y-%m"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def date_error(value: str | None, required: bool, label: str, not_after: date | None = None) -> str | None:
    if not (value or "").strip():
        return f"请选择{label}。" if required else None
    parsed = parse_date(value)
    if parsed is None:
        return f"{label}格式应为年-月-日。"
    if not_after and parsed > not_after:
        return f"{label}不能晚于今天。"
    return None


def validate(step: int, draft: dict, ctx: Context, today: date) -> dict[str, str]:
    data = draft.get(str(step), {})
    return {1: _basic, 2: _practice, 3: _experience, 4: _conduct, 5: _procedure}[step](data, draft, ctx, today)


def _basic(d: dict, draft: dict, ctx: Context, today: date) -> dict[str, str]:
    errors = {}
    if not d.get("photo"):
        errors["photo"] = "请上传近期1寸证件照。"
    stated = stated_in(ctx.id_number_18)
    if d.get("gender") not in ("男", "女"):
        errors["gender"] = "请选择性别。"
    elif stated and d["gender"] != stated[0]:
        errors["gender"] = f"性别与证件号码不一致（证件号码显示为{stated[0]}），请核对。"
    if d.get("ethnicity") not in enumerations.ethnicities():
        errors["ethnicity"] = "请选择民族。"
    problem = date_error(d.get("birth"), True, "出生年月", today)
    if problem:
        errors["birth"] = problem
    elif ctx.id_number_18 and is_resident_form(ctx.id_number_18):
        born = parse_date(d["birth"])
        if born and (born.year, born.month) != (int(ctx.id_number_18[6:10]), int(ctx.id_number_18[10:12])):
            errors["birth"] = "出生年月与证件号码不一致，请核对。"
    if d.get("education") not in enumerations.education_levels():
        errors["education"] = "请选择学历。"
    if not EMAIL.match((d.get("email") or "").strip()):
        errors["email"] = "请输入正确的电子邮件地址。"
    return errors


def _practice(d: dict, draft: dict, ctx: Context, today: date) -> dict[str, str]:
    errors = _department_errors(d, ctx)
    for key, label, required in (("title_date", "职称取得时间", False), ("post_date", "任职时间", False),
                                 ("certificate_date", "执业证书取得时间", True),
                                 ("residency_passed_on", "规培合格时间", False)):
        problem = date_error(d.get(key), required, label, today)
        if problem:
            errors[key] = problem
    errors.update(_choice_errors(d))
    errors.update(_certificate_errors(d))
    return errors


def _department_errors(d: dict, ctx: Context) -> dict[str, str]:
    errors = {}
    if not ctx.departments:
        errors["department"] = ("主要执业机构尚未维护科室信息，无法选择科室。请联系本机构定考负责人添加科室后，"
                                "重新进入报名页面。")
    elif d.get("department") not in ctx.departments:
        errors["department"] = "请选择科室。"
    elif not d.get("specialties") or not set(d["specialties"]) <= set(ctx.departments[d["department"]]):
        errors["specialties"] = "请选择从事专业（可多选）。"
    return errors


def _choice_errors(d: dict) -> dict[str, str]:
    errors = {}
    if d.get("title") and d["title"] not in enumerations.titles():
        errors["title"] = "请选择职称。"
    if d.get("level") not in enumerations.levels():
        errors["level"] = "请选择医师级别。"
    if d.get("resident") not in ("是", "否"):
        errors["resident"] = "请选择是否为规培生。"
    if d.get("category") not in enumerations.categories():
        errors["category"] = "请选择执业类别。"
    elif d.get("scope") and d["scope"] not in enumerations.scopes(d["category"]):
        errors["scope"] = "执业范围与执业类别不符，请重新选择。"
    elif not d.get("scope") and d.get("resident") != "是":
        errors["scope"] = "请选择执业范围（规培生非必填）。"
    return errors


def _certificate_errors(d: dict) -> dict[str, str]:
    errors = {}
    if not re.fullmatch(r"[0-9A-Za-z]{6,30}", (d.get("certificate_number") or "").strip()):
        errors["certificate_number"] = "请输入执业证书编号（6-30位数字或字母）。"
    pages = d.get("certificate_pages") or []
    needed = 1 if d.get("certificate_kind") == "电子证照" else 2
    if len(pages) < needed:
        errors["certificate_pages"] = ("医师执业证书需上传2页（含目前执业机构注册信息页）。" if needed == 2
                                       else "电子证照需上传1页。")
    return errors


def _entries_errors(name: str, entries: list[dict]) -> dict[str, str]:
    errors = {}
    fields = LISTS[name][1]
    for index, entry in enumerate(entries):
        for key, label, required in fields:
            value = (entry.get(key) or "").strip()
            if required and not value:
                errors[f"{name}-{index}-{key}"] = f"请填写{label}。"
            elif key in ("start", "end", "date") and value and parse_date(value) is None:
                errors[f"{name}-{index}-{key}"] = f"{label}格式应为年-月-日。"
        start, end = parse_date(entry.get("start")), parse_date(entry.get("end"))
        if start and end and end < start:
            errors[f"{name}-{index}-end"] = "结束时间不能早于开始时间。"
    return errors


def _experience(d: dict, draft: dict, ctx: Context, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ("filings", "education", "practice"):
        errors |= _entries_errors(name, d.get(name) or [])
    return errors


def _conduct(d: dict, draft: dict, ctx: Context, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if d.get("good_record") not in ("有", "无"):
        errors["good_record"] = "请对良好执业行为记录进行自评。"
    elif d["good_record"] == "有" and not d.get("good_entries"):
        errors["good_record"] = "选择“有”时请至少添加一条记录。"
    if d.get("bad_record") not in ("有", "无"):
        errors["bad_record"] = "请对不良执业行为记录进行自评。"
    elif d["bad_record"] == "有" and not d.get("bad_entries"):
        errors["bad_record"] = "选择“有”时请至少添加一条记录。"
    if d.get("workload") not in ("合格", "不合格"):
        errors["workload"] = "请对完成工作数量进行自评。"
    for key in ("patients", "surgeries", "examinations"):
        value = (d.get(key) or "").strip()
        if value and (not value.isdigit() or int(value) > 10_000_000):
            errors[key] = "请填写整数。"
    for name in ("good_entries", "bad_entries"):
        if d.get("good_record" if name == "good_entries" else "bad_record") == "有":
            errors |= _entries_errors(name, d.get(name) or [])
    return errors


def facts(draft: dict) -> eligibility.Facts:
    practice, conduct = draft.get("2", {}), draft.get("4", {})
    return eligibility.Facts(
        certificate_date=parse_date(practice.get("certificate_date")),
        good_record=conduct.get("good_record") == "有" and bool(conduct.get("good_entries")),
        bad_record=conduct.get("bad_record") == "有",
        title_date=parse_date(practice.get("title_date")),
        promoted=bool(practice.get("title")) and practice.get("title") != "未评级",
        residency_passed_on=parse_date(practice.get("residency_passed_on")),
    )


def conditions(draft: dict, ctx: Context) -> list[eligibility.Condition]:
    return eligibility.conditions(facts(draft), ctx.period_start, ctx.period_end, ctx.cutoff, ctx.rules)


def _procedure(d: dict, draft: dict, ctx: Context, today: date) -> dict[str, str]:
    errors = {}
    choice = d.get("procedure")
    if choice not in (eligibility.SIMPLE, eligibility.GENERAL):
        return {"procedure": "请选择考核程序。"}
    if choice == eligibility.SIMPLE:
        found = conditions(draft, ctx)
        if not any(c.holds for c in found):
            errors["procedure"] = ("根据您填报的信息，不符合简易程序的任一条件（" +
                                   "；".join(f"条件{c.number}：{c.why}" for c in found) + "），请选择一般程序。")
        if not d.get("evidence"):
            errors["evidence"] = "请上传简易程序申请材料（执业证书或其他证明材料）。"
        statement = (d.get("statement") or "").strip()
        if not STATEMENT_MIN <= len(statement) <= STATEMENT_MAX:
            errors["statement"] = f"个人述职应为{STATEMENT_MIN}-{STATEMENT_MAX}字（当前{len(statement)}字）。"
    return errors


def first_invalid_step(draft: dict, ctx: Context, today: date) -> tuple[int, dict[str, str]] | None:
    for step in STEPS:
        errors = validate(step, draft, ctx, today)
        if errors:
            return step, errors
    return None
