"""The console's forms: sign-in, 科室, 医师管理 (filters, 新增, 调离, 调入, 开通报名, import), reviews,
考核机构申请, and the authority's cycle editor and assignments."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, DateTimeLocalField, IntegerField, PasswordField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from wechat_app.domain.authority import WINDOW_FIELDS
from wechat_app.domain.course_admin import CourseInput
from wechat_app.domain.exam_admin import ArrangementInput
from wechat_app.domain.physicians import PhysicianInput
from wechat_app.domain.question_bank import COLUMNS as QUESTION_COLUMNS
from wechat_app.forms import DecisionForm, Form, count, long_text, record_id, record_ids, several, text
from wechat_app.models import (
    Arrangement,
    AssessorApplication,
    Course,
    CourseMedia,
    Department,
    Institution,
    MockPaper,
    Paper,
    Physician,
    Staff,
)


def optional_date(label: str) -> DateField:
    return DateField(label, validators=[Optional()], format="%Y-%m-%d")


class StaffLoginForm(Form):
    username = text(Staff.username, "账号", required=True)
    password = PasswordField("密码", validators=[DataRequired("请填写密码。"), Length(max=64)])
    captcha = text(8, "验证码", required=True)


class DepartmentForm(Form):
    id = record_id(required=False)
    name = text(Department.name, "科室名称")
    subject_codes = several(100, 10)


class Search(Form):
    """Filters read from a link (a GET page's query string)."""

    def applicable(self):
        """A filter that does not parse is simply not applied: a bad link is no error."""
        self.validate()
        for name in self.errors:
            self[name].data = None
        return self


class DepartmentSearch(Search):
    """科室管理's search: a part of the name, the status, the page."""

    name = text(Department.name, "科室名称")
    status = text(10)
    page = count("页码", 10_000)


class PhysicianFilter(Search):
    """The filters of 医师管理 (姓名或证件号码, 科室, 首次注册时间, 状态, 是否参加本周期): the page reads
    them from its query string (no CSRF there), the export posts them."""

    words = text(40)  # a name, or an ID number (found through its blind index)
    department = record_id(required=False)
    registered_from = optional_date("首次注册时间")
    enrolled = text(3)
    status = text(30)


class PhysicianForm(Form):
    """新增医师: each field as long as its column (models/physician.py)."""

    name = text(Physician.name, "姓名")
    gender = text(Physician.gender, "性别")
    id_type = text(Physician.id_type, "证件类型")
    id_number = text(40, "证件号码")
    level = text(Physician.level, "医师级别")
    category = text(Physician.category, "执业类别")
    practice_scope = text(Physician.practice_scope, "执业范围")
    certificate_number = text(Physician.certificate_number, "执业证书编码")
    certificate_date = optional_date("执业证书取得时间")
    qualification_number = text(Physician.qualification_number, "资格证书编码")
    qualification_date = optional_date("资格证书取得时间")
    department_id = record_id(required=False)
    title = text(Physician.title, "职称")
    title_date = optional_date("职称取得时间")
    birth_date = optional_date("出生年月")
    education = text(Physician.education, "学历")
    email = text(Physician.email, "电子邮箱")
    ethnicity = text(Physician.ethnicity, "民族")
    post = text(Physician.post, "职务")
    specialties = several(50, 10)
    phone = text(11, "手机号")

    def to_input(self) -> PhysicianInput:
        """What was typed (a date that did not parse is None), also for showing the form again."""
        typed = {name: self[name].data for name in PhysicianInput.__dataclass_fields__}
        return PhysicianInput(**typed | {"id_type": typed["id_type"] or "身份证"})


class TransferOutForm(Form):
    reason = long_text(Physician.left_reason, "调离原因")


class TransferSearchForm(Form):
    id_number = text(40, "证件号码")


class TransferInForm(Form):
    physician_id = record_id()


class EnrollForm(Form):
    scope = text(10)
    physician_id = record_ids()


class ImportForm(Form):
    file = FileField(validators=[FileRequired("请选择要导入的Excel文件。")])


class SealForm(Form):
    file = FileField(validators=[FileRequired("请选择公章图片。")])


class AssessorApplicationForm(Form):
    kind = text(AssessorApplication.kind, "机构类别")
    beds = count("床位数")
    physicians = count("医师人数")
    description = long_text(1000, "申请说明")


class ReviewForm(DecisionForm):
    """审核 / 复核 one registration: the decision, the two ratings, and for 驳回 a deadline."""

    work_rating = text(10)
    ethics_rating = text(10)
    deadline = optional_date("重新提交截止日期")


class BatchReviewForm(Form):
    registration_id = record_ids()


class AssignBodyForm(Form):
    body_id = record_id()


class WindowsForm(Form):
    """The cycle editor: every window's two dates, as typed (domain/authority.py parses them and
    refuses a bad one rather than emptying a window)."""

    def typed(self) -> dict[str, str]:
        return {name: self[name].data for name in WINDOW_FIELDS if self[name].raw_data}


for _name in WINDOW_FIELDS:
    setattr(WindowsForm, _name, text(10))


class PaperForm(Form):
    """组卷规则: a line per rule, "题型 知识点 题数 每题分值" (domain/exam_admin.parse_rules)."""

    title = text(Paper.title, "试卷名称")
    rules = long_text(2000, "组卷规则")
    pass_mark = count("合格分", 1000)
    duration = count("考试时长", 300)


class ArrangementForm(Form):
    paper_id = record_id("试卷")
    name = text(Arrangement.name, "考试名称")
    round = text(10)
    procedure = text(Arrangement.procedure, "考核程序")
    category = text(Arrangement.category, "执业类别")
    level = text(Arrangement.level, "医师级别")
    starts_at = DateTimeLocalField("开始时间", validators=[Optional()], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField("结束时间", validators=[Optional()], format="%Y-%m-%dT%H:%M")
    attempts = count("可考次数", 50)
    away_budget = IntegerField("切屏次数上限", validators=[Optional(), NumberRange(0, 50, "切屏次数上限应为0到50。")])

    def to_input(self) -> ArrangementInput:
        return ArrangementInput(self.paper_id.data, self.name.data, self.round.data or "regular", self.procedure.data,
                                self.category.data or None, self.level.data or None, self.starts_at.data,
                                self.ends_at.data, self.attempts.data, self.away_budget.data)


class RoundForm(Form):
    round = text(10)


class QuestionSearch(Form):
    kind = text(2)
    words = text(40)
    retired = text(1)  # "1": the retired questions, to view or re-enable


class QuestionImportForm(ImportForm):
    duplicates = text(10)  # domain/question_bank.Duplicates; empty is refuse


class QuestionForm(Form):
    """题目 edited in the import's columns (domain/question_bank.row_question checks them)."""

    def values(self) -> dict[str, str]:
        return {column: self[f"c{index}"].data or "" for index, column in enumerate(QUESTION_COLUMNS)}


for _index, _column in enumerate(QUESTION_COLUMNS):
    setattr(QuestionForm, f"c{_index}", long_text(2000, _column))


class CourseForm(Form):
    title = text(Course.title, "课程名称")
    subject = text(Course.subject, "课程类别")
    topic = text(Course.topic, "练习知识点")
    procedure = text(Course.procedure, "考核程序")
    category = text(Course.category, "执业类别")
    level = text(Course.level, "医师级别")
    required = BooleanField()
    description = long_text(1000, "课程简介")

    def to_input(self) -> CourseInput:
        return CourseInput(self.title.data, self.subject.data, self.topic.data or None, self.procedure.data or None,
                           self.category.data or None, self.level.data or None, bool(self.required.data),
                           self.description.data)


class MediaUploadForm(Form):
    title = text(CourseMedia.title, "标题")
    file = FileField(validators=[FileRequired("请选择要上传的文件。")])


class MockForm(Form):
    paper_id = record_id("试卷")
    title = text(MockPaper.title, "模拟试卷名称")


class PublishForm(Form):
    published = BooleanField()


class SmsFallbackForm(Form):
    choice = text(3)  # "on" / "off"


class AccountForm(Form):
    role = text(20)
    organisation = text(12)  # the organisation's id, of the kind `role` names
    username = text(Staff.username, "账号")
    name = text(Staff.name, "使用人姓名")


class InstitutionForm(Form):
    name = text(Institution.name, "机构名称")
    kind = text(Institution.kind, "机构类别")
    beds = count("床位数")
    authority = text(12)
    body = text(12)
