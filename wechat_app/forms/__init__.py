"""Forms shared by every audience: the base form (CSRF, Chinese messages) and the small building
blocks the portal, registration and console forms are made of.

Forms check shape only — presence where a POST is meaningless without it, lengths (the column's,
declared here once), types — and hand plain values to a use case; the rules live in domain/.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.i18n import get_translations
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

REQUIRED = "请填写此项。"
EXPIRED = "页面已过期，请刷新后重试。"  # Flask-WTF's CSRF messages are English and say too much
LARGEST_ID = 2**31 - 1


def clean(value: str | None) -> str:
    """Missing and blank are the same to every use case; surrounding spaces are never meant."""
    return (value or "").strip()


class Form(FlaskForm):
    """Every form: Flask-WTF's CSRF token, WTForms' own Chinese messages for what we do not word."""

    class Meta:
        def get_translations(self, form):
            return get_translations(["zh"])


class ConfirmForm(Form):
    """A bare POST (unbind, sign out, an action button): the form exists for its CSRF token."""


def length_of(limit) -> int:
    """A length given as a number, or as a mapped column (`Physician.email`): the column's own."""
    return limit if isinstance(limit, int) else limit.property.columns[0].type.length


def too_long(limit: int, label: str) -> Length:
    return Length(max=limit, message=f"{label or '此项'}不能超过{limit}个字符。")


def text(limit, label: str = "", required: bool = False) -> StringField:
    """One line of at most `limit` characters (a number, or the column it is stored in)."""
    validators = [DataRequired(f"请填写{label}。" if label else REQUIRED)] if required else []
    return StringField(label, filters=[clean], validators=[*validators, too_long(length_of(limit), label)])


def long_text(limit, label: str = "") -> TextAreaField:
    return TextAreaField(label, filters=[clean], validators=[too_long(length_of(limit), label)])


def several(limit: int, each: int) -> SelectMultipleField:
    """Checkboxes named alike (从事专业, 删除 ticks on uploads): at most `limit`, each short."""
    return SelectMultipleField(validate_choice=False, validators=[Length(max=limit, message=f"最多选择{limit}项。")],
                               filters=[lambda values: [v for v in (values or []) if v and len(v) <= each]])


def option_keys() -> SelectMultipleField:
    """The options ticked for a question (one, or several for X): single letters, at most ten."""
    return SelectMultipleField(validate_choice=False, validators=[Length(max=10, message="选项不正确。")],
                               filters=[lambda values: [v for v in (values or []) if len(v) == 1]])


def record_id(label: str = "", required: bool = True) -> IntegerField:
    """A row id from a hidden field or a select: a positive integer the database can hold."""
    return IntegerField(label, validators=[DataRequired("请选择。") if required else Optional(),
                                           NumberRange(1, LARGEST_ID, "编号不正确。")])


def record_ids(limit: int = 1000) -> SelectMultipleField:
    """Ticked rows (checkboxes named alike); a non-number is a shape error, not a silent skip."""
    return SelectMultipleField(coerce=int, validate_choice=False,
                               validators=[Length(max=limit, message=f"一次最多选择{limit}条。"), ids_in_range])


def ids_in_range(form, field) -> None:
    if any(not 1 <= value <= LARGEST_ID for value in field.data or []):
        raise ValidationError("编号不正确。")


def count(label: str, largest: int = 10_000_000) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(0, largest, f"{label}应为0到{largest}的整数。")])


class DecisionForm(Form):
    """What every 审核 posts: 通过 / 驳回 and the reason."""

    decision = StringField(filters=[clean], validators=[Length(max=10)])
    reason = long_text(500, "原因")

    @property
    def approve(self) -> bool:
        return self.decision.data == "approve"


def show_refusal(form: FlaskForm, refusal, default: str) -> None:
    """A use case's DomainError on the form it came from: each message under its field (or under
    `default` when the form has no such field, or the error names none)."""
    for name, message in (refusal.fields or {default: refusal.message}).items():
        form[name if name in form else default].errors.append(message)


def first_error(errors) -> str | None:
    """The first message of a form that did not validate (`form.errors`, nested for FieldList /
    FormField), for a flash; None when there is none."""
    if isinstance(errors, str):
        return errors
    if isinstance(errors, dict) and "csrf_token" in errors:
        return EXPIRED
    for value in errors.values() if isinstance(errors, dict) else errors:
        found = first_error(value)
        if found:
            return found
    return None


def flat_errors(errors: dict, prefix: str = "") -> dict[str, str]:
    """{field name as posted: its first message}, FieldList rows included (`filings-0-institution`),
    the shape the templates' error slots already use for the domain's messages."""
    flat = {}
    for name, value in errors.items():
        key = f"{prefix}{name}"
        if name == "csrf_token":
            flat["form"] = EXPIRED
        elif isinstance(value, dict):
            flat |= flat_errors(value, f"{key}-")
        elif any(isinstance(entry, dict) for entry in value):
            for index, entry in enumerate(value):
                flat |= flat_errors(entry or {}, f"{key}-{index}-")
        elif value:
            flat[key] = value[0]
    return flat
