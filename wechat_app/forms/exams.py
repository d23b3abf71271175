"""The exam pages' forms: a camera frame for the face check, and one answer."""
from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectMultipleField
from wtforms.validators import Length, NumberRange, Optional

from wechat_app.forms import Form, record_id


class FrameForm(Form):
    frame = FileField(validators=[FileRequired("请先拍摄照片。")])


class AnswerForm(Form):
    """One question's answer: the option keys ticked (one, or several for X), 标记, and where to go next."""

    question_id = record_id()
    choice = SelectMultipleField(validate_choice=False, validators=[Length(max=10, message="选项不正确。")],
                                 filters=[lambda values: [v for v in (values or []) if len(v) == 1]])
    flagged = BooleanField()
    go_to = IntegerField(validators=[Optional(), NumberRange(1, 1000)])
