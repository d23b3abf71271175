"""The physician portal's forms: sign-in, binding, passwords, phone, 免考申请."""
from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from wechat_app.forms import REQUIRED, Form, long_text, text


class LoginForm(Form):
    id_number = StringField("证件号码", validators=[DataRequired(REQUIRED), Length(max=40)])
    password = PasswordField("密码", validators=[DataRequired(REQUIRED), Length(max=64)])
    captcha = StringField("验证码", validators=[DataRequired(REQUIRED), Length(max=8)])
    next = HiddenField()


class ProvinceForm(Form):
    province = RadioField("省份", coerce=int, validators=[DataRequired("请选择省份。")])


class PasswordFields(Form):
    new_password = PasswordField("新密码", validators=[DataRequired(REQUIRED), Length(max=64)])
    confirm = PasswordField("确认密码", validators=[DataRequired(REQUIRED), Length(max=64)])


class SetupForm(PasswordFields):
    """修改密码，绑定手机 (first sign-in)."""

    old_password = PasswordField("旧密码", validators=[DataRequired(REQUIRED), Length(max=64)])
    phone = StringField("手机号", validators=[Length(max=11)])
    code = StringField("验证码", validators=[Length(max=6)])


class ChangePasswordForm(PasswordFields):
    old_password = PasswordField("原密码", validators=[DataRequired(REQUIRED), Length(max=64)])


PHONE = Regexp(r"^1\d{10}$", message="请输入正确的11位手机号码。")


class PhoneForm(Form):
    phone = StringField("手机号", validators=[DataRequired(REQUIRED), PHONE])
    code = StringField("验证码", validators=[DataRequired(REQUIRED), Length(min=6, max=6, message="验证码为6位数字。")])


class SmsForm(Form):
    phone = StringField("手机号", validators=[Length(max=11)])
    purpose = HiddenField(validators=[DataRequired()])


class ForgotForm(Form):
    id_number = StringField("证件号码", validators=[DataRequired(REQUIRED), Length(max=40)])
    captcha = StringField("验证码", validators=[DataRequired(REQUIRED), Length(max=8)])


class ResetForm(PasswordFields):
    code = StringField("短信验证码", validators=[DataRequired(REQUIRED), Length(min=6, max=6, message="验证码为6位数字。")])


class ExemptionForm(Form):
    """免考申请: the category, why, and the evidence (checked by domain/uploads.py)."""

    category = text(40, "免考类别")
    explanation = long_text(1000, "情况说明")
    evidence = MultipleFileField()
