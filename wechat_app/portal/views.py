"""Physicians' H5 pages under /m/ (and the desktop /login): thin views that parse, authorize,
call one domain function and render."""
from __future__ import annotations

import base64
import io

import qrcode
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import or_, select, true

from wechat_app import clock, limits
from wechat_app.auth import (
    client_ip,
    in_wechat,
    openid_still_trusted,
    physician_required,
    sign_in,
    sign_out,
    signed_in_physician,
)
from wechat_app.domain import accounts, followers, sessions, verification
from wechat_app.domain.errors import DomainError
from wechat_app.domain.home import home_for, span
from wechat_app.domain.idnumbers import mask_phone
from wechat_app.domain.registration import Actor
from wechat_app.extensions import db
from wechat_app.forms import ConfirmForm, show_refusal
from wechat_app.forms.portal import (
    ChangePasswordForm,
    ForgotForm,
    LoginForm,
    PhoneForm,
    ProvinceForm,
    ResetForm,
    SetupForm,
    SmsForm,
)
from wechat_app.links import oauth_entry
from wechat_app.models import Article, Faq, Physician, Province
from wechat_app.models.enums import Role
from wechat_app.portal import home_cache
from wechat_app.wechat.oauth import safe_next

bp = Blueprint("portal", __name__)

ARTICLE_KINDS = ("政策", "通知", "手册")


def actor() -> Actor:
    return Actor(Role.PHYSICIAN, current_user.id if current_user.is_authenticated else None, client_ip())


def active_provinces() -> list[Province]:
    return list(db.session.scalars(select(Province).where(Province.active.is_(True)).order_by(Province.code)))


def viewer_province_id() -> int | None:
    if signed_in_physician() and current_user.institution:
        return current_user.institution.province_id
    openid = session.get("openid")
    follower = followers.follower(openid) if openid else None
    return follower.province_id if follower else session.get("province_id")


# --- entry, province, sign-in -----------------------------------------------------------------

@bp.get("/m/")
def home():
    cached = home_cache.lookup()  # one round trip to Redis, no database (portal/home_cache.py)
    if cached is not None:
        return cached
    if signed_in_physician():
        return home_page()
    openid = session.get("openid")
    if not openid:
        return redirect(oauth_entry() if in_wechat() else url_for("portal.login"))
    follower = followers.follower(openid)
    if follower.province_id is None and len(active_provinces()) > 1:
        return redirect(url_for("portal.province"))
    if follower.physician is not None:
        if not openid_still_trusted(follower.physician):  # the account ended its sessions since OAuth
            session.pop("openid", None)
            return redirect(oauth_entry() if in_wechat() else url_for("portal.login"))
        sign_in(follower.physician)
        return redirect(url_for("portal.home"))
    return redirect(url_for("portal.bind"))


@physician_required
def home_page():
    html = render_template("portal/home.html", home=home_for(current_user), span=span, today=clock.today())
    home_cache.store(current_user, html)
    return html


@bp.route("/m/province", methods=["GET", "POST"])
def province():
    """选择省份: remembered for this openid (or this browser), skipped when only one is active."""
    form = ProvinceForm()
    provinces = active_provinces()
    form.province.choices = [(p.id, p.name) for p in provinces]
    if form.validate_on_submit():
        openid = session.get("openid")
        if openid:
            followers.choose_province(openid, form.province.data)
        session["province_id"] = form.province.data
        return redirect(url_for("portal.home"))
    return render_template("portal/province.html", form=form)


def sign_in_page(form: LoginForm, template: str):
    """The bind page (inside WeChat: binds the openid) and the desktop login page share this."""
    if form.validate_on_submit():
        if not verification.check_captcha(session.pop("captcha_id", None), form.captcha.data):
            form.captcha.errors.append("验证码不正确或已过期，请重新输入。")
        else:
            try:
                physician = accounts.authenticate(form.id_number.data, form.password.data, client_ip())
            except DomainError as exc:
                form.id_number.errors.append(str(exc))
            else:
                openid = session.get("openid")
                if openid:
                    accounts.bind(physician, openid, Actor(Role.PHYSICIAN, physician.id, client_ip()))
                target = safe_next(form.next.data or request.args.get("next"))
                sign_in(physician)
                return redirect(target)
    form.next.data = form.next.data or request.args.get("next", "")
    return render_template(template, form=form, entry_qr=entry_qr() if template == "portal/login.html" else None)


@bp.route("/m/bind", methods=["GET", "POST"])
@limits.per_account(limits.SIGN_IN_PERSON, methods=["POST"])
@limits.per_address(limits.SIGN_IN_ADDRESS, methods=["POST"])
def bind():
    if not session.get("openid"):
        return redirect(url_for("portal.login"))
    return sign_in_page(LoginForm(), "portal/bind.html")


@bp.route("/login", methods=["GET", "POST"])
@limits.per_claimed_account(limits.SIGN_IN_PERSON, methods=["POST"])
@limits.per_address(limits.SIGN_IN_ADDRESS, methods=["POST"])
def login():
    return sign_in_page(LoginForm(), "portal/login.html")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it on every site whatever the page says (nginx serves it in production)."""
    return send_from_directory(current_app.static_folder or "static", "img/favicon.ico", max_age=86400,
                               mimetype="image/vnd.microsoft.icon")


@bp.get("/terms")
def terms():
    """《服务协议》, linked from every sign-in page."""
    return render_template("portal/terms.html")


@bp.get("/privacy")
def privacy():
    """《隐私条款》: what personal data the service keeps, why, how and for how long."""
    return render_template("portal/privacy.html")


def entry_qr() -> str:
    """A QR code (data URI) that opens 定考入口 in WeChat, for physicians on a desktop browser."""
    image = qrcode.make(oauth_entry("/m/", current_app.config["PUBLIC_BASE_URL"]), box_size=5, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@bp.get("/m/captcha.png")
def captcha():
    """A new captcha on every load ("看不清，换一张"); its answer stays on the server."""
    session["captcha_id"], _ = verification.new_captcha(current_app.config.get("CAPTCHA_FIXED_ANSWER", ""))
    response = Response(verification.captcha_png(session["captcha_id"]), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/m/logout")
def logout():
    if ConfirmForm().validate_on_submit():
        if current_user.is_authenticated:
            sessions.sign_out(current_user)
        sign_out()
    return redirect(url_for("portal.login"))


# --- first sign-in, SMS, forgotten password ------------------------------------------------------

@bp.route("/m/setup", methods=["GET", "POST"])
def setup():
    """修改密码，绑定手机: required at first sign-in and after an institution's reset."""
    if not signed_in_physician():
        return redirect(url_for("portal.login"))
    if not current_user.must_change_password:
        return redirect(url_for("portal.home"))
    form = SetupForm()
    needs_phone = not current_user.phone
    if form.validate_on_submit():
        try:
            accounts.first_login_setup(
                current_user, form.old_password.data, form.new_password.data, form.confirm.data,
                form.phone.data.strip() if needs_phone else None, (form.code.data or "").strip(), actor())
        except DomainError as exc:
            show_refusal(form, exc, "new_password")
        else:
            sign_in(current_user)  # this session goes on; every other one ended with the old password
            flash("密码已修改，请牢记新密码。")
            return redirect(safe_next(request.args.get("next")))
    return render_template("portal/setup.html", form=form, needs_phone=needs_phone, sms_form=SmsForm(),
                           masked_id=current_user.masked_id_number,
                           masked_phone=mask_phone(current_user.phone) if current_user.phone else "")


@bp.post("/m/sms")
@limits.per_account(limits.SMS_SEND)
def send_sms():
    """Send a code: to a new phone being bound (signed in), or to the bound phone (password reset)."""
    form = SmsForm()
    if not form.validate_on_submit():
        return {"error": "请求已过期，请刷新页面。"}, 400
    if form.purpose.data == "bind_phone" and signed_in_physician():
        phone, account = (form.phone.data or "").strip(), current_user.id
    elif form.purpose.data == accounts.FIRST_SIGNIN and signed_in_physician() and current_user.must_change_password \
            and current_user.phone:
        phone, account = current_user.phone, current_user.id  # only ever the phone on record
    elif form.purpose.data == "reset_password" and session.get("reset_physician_id"):
        physician = db.session.get(Physician, session["reset_physician_id"])
        phone, account = physician.phone or "", physician.id
    else:
        return {"error": "请先登录。"}, 403
    try:
        verification.send_sms_code(phone, form.purpose.data, f"physician:{account}")
    except DomainError as exc:
        return {"error": exc.message}, exc.status
    return {"ok": True, "message": "验证码已发送，5分钟内有效。"}


@bp.route("/m/forgot", methods=["GET", "POST"])
@limits.per_claimed_account(limits.PASSWORD_RESET_PERSON, methods=["POST"])
@limits.per_address(limits.PASSWORD_RESET_ADDRESS, methods=["POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        if not verification.check_captcha(session.pop("captcha_id", None), form.captcha.data):
            form.captcha.errors.append("验证码不正确或已过期，请重新输入。")
        else:
            try:
                physician, masked = accounts.send_reset_code(form.id_number.data)
            except DomainError as exc:
                form.id_number.errors.append(str(exc))
            else:
                session["reset_physician_id"] = physician.id
                flash(f"验证码已发送至 {masked}。")
                return redirect(url_for("portal.reset"))
    return render_template("portal/forgot.html", form=form)


@bp.route("/m/forgot/reset", methods=["GET", "POST"])
@limits.per_claimed_account(limits.PASSWORD_RESET_PERSON, methods=["POST"])
@limits.per_address(limits.PASSWORD_RESET_ADDRESS, methods=["POST"])
def reset():
    physician = db.session.get(Physician, session.get("reset_physician_id") or 0)
    if physician is None:
        return redirect(url_for("portal.forgot"))
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(physician, form.code.data, form.new_password.data, form.confirm.data,
                                    Actor(Role.PHYSICIAN, physician.id, client_ip()))
        except DomainError as exc:
            show_refusal(form, exc, "new_password")
        else:
            session.pop("reset_physician_id", None)
            flash("密码已重置，请用新密码登录。")
            return redirect(url_for("portal.bind" if session.get("openid") else "portal.login"))
    return render_template("portal/reset.html", form=form, sms_form=SmsForm())


# --- account settings ---------------------------------------------------------------------------

def render_account(password_form=None, phone_form=None, status=200):
    return render_template(
        "portal/account.html", masked_id=current_user.masked_id_number,
        openid_bound=accounts.bound_openid(current_user) is not None,
        password_form=password_form or ChangePasswordForm(formdata=None),
        phone_form=phone_form or PhoneForm(formdata=None), sms_form=SmsForm(), confirm_form=ConfirmForm(),
    ), status


@bp.get("/m/account")
@physician_required
def account():
    return render_account()


@bp.post("/m/account/password")
@physician_required
def account_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.old_password.data, form.new_password.data,
                                     form.confirm.data, actor())
        except DomainError as exc:
            show_refusal(form, exc, "new_password")
        else:
            sign_in(current_user)  # this session goes on; every other one ended with the old password
            flash("密码已修改。")
            return redirect(url_for("portal.account"))
    return render_account(password_form=form, status=400)


@bp.post("/m/account/phone")
@physician_required
def account_phone():
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            accounts.change_phone(current_user, form.phone.data, form.code.data, actor())
        except DomainError as exc:
            show_refusal(form, exc, "code")
        else:
            flash("手机号已更换。")
            return redirect(url_for("portal.account"))
    return render_account(phone_form=form, status=400)


@bp.post("/m/account/unbind")
@physician_required
def account_unbind():
    if ConfirmForm().validate_on_submit() and accounts.unbind(current_user, actor()):
        sign_out()
        flash("已解除微信绑定。")
    return redirect(url_for("portal.login"))


# --- content: FAQ, support, policies / notices / manuals ------------------------------------------

def for_viewer(model):
    """Content for everyone plus the viewer's province; all of it while the province is unknown."""
    province_id = viewer_province_id()
    if province_id is None:
        return true()
    return or_(model.province_id.is_(None), model.province_id == province_id)


@bp.get("/m/faq")
def faq():
    entries = db.session.scalars(select(Faq).where(for_viewer(Faq)).order_by(Faq.sort_order, Faq.id)).all()
    return render_template("portal/faq.html", entries=entries)


@bp.get("/m/support")
def support():
    return render_template("portal/support.html", phone=current_app.config["SUPPORT_PHONE"])


@bp.get("/m/articles")
def articles():
    kind = request.args.get("kind", "政策")
    if kind not in ARTICLE_KINDS:
        abort(404)
    rows = db.session.scalars(select(Article).where(Article.kind == kind, for_viewer(Article))
                              .order_by(Article.published_on.desc(), Article.id)).all()
    return render_template("portal/articles.html", kind=kind, kinds=ARTICLE_KINDS, articles=rows)


@bp.get("/m/articles/<int:article_id>")
def article(article_id: int):
    row = db.session.scalar(select(Article).where(Article.id == article_id, for_viewer(Article)))
    if row is None:
        abort(404)
    return render_template("portal/article.html", article=row)
