"""The exam pages' forms: a camera frame for the face check, and one answer."""
from __future__ import annotations

from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, IntegerField
from wtforms.validators import NumberRange, Optional

from wechat_app.forms import Form, option_keys, record_id


class FrameForm(Form):
    """The frames the camera took while the physician did what the check asked (several JPEGs)."""

    frames = MultipleFileField()


class CaptureForm(Form):
    """A photo the paper's page took at one of the attempt's moments."""

    slot = IntegerField(validators=[NumberRange(0, 10)])
    frame = FileField()


class AnswerForm(Form):
    """One question's answer: the option keys ticked (one, or several for X), 标记, and where to go next."""

    question_id = record_id()
    choice = option_keys()
    flagged = BooleanField()
    go_to = IntegerField(validators=[Optional(), NumberRange(1, 1000)])
