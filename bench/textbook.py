"""The page baseline of `make bench` (issue 13): the textbook Flask page, as a competent developer
writes it from the Flask, Flask-Login and Flask-SQLAlchemy tutorials — the user loaded by
Flask-Login from the session, one query for the page, a Jinja layout — and nothing else (no CSRF,
no security headers, no PII sealing). It reads the same database and the same session cookie as
the app, so the same wrk script drives both."""
from __future__ import annotations

import os

from flask import Flask, render_template_string
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import select

app = Flask(__name__)
app.config.update(SECRET_KEY=os.environ["SECRET_KEY"], SQLALCHEMY_DATABASE_URI=os.environ["DATABASE_URL"])
db = SQLAlchemy(app)
login_manager = LoginManager(app)


class Physician(UserMixin, db.Model):
    __tablename__ = "physicians"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100))


class Registration(db.Model):
    __tablename__ = "registrations"
    id = db.Column(db.Integer, primary_key=True)
    physician_id = db.Column(db.Integer)
    status = db.Column(db.String(30))


class Staff(UserMixin, db.Model):
    __tablename__ = "staff"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(40))


@login_manager.user_loader
def load_user(user_id: str):
    kind, _, key = user_id.partition(":")  # the app's session says "p:<id>" (a physician) or "s:<id>" (staff)
    model = {"p": Physician, "s": Staff}.get(kind)
    return db.session.get(model, int(key)) if model and key.isdigit() else None


LAYOUT = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title>
<link rel="stylesheet" href="/static/css/weui-lite.css"></head><body><div class="page">{% block body %}{% endblock %}</div></body></html>"""
PAGE = """{% extends "layout" %}{% block title %}首页{% endblock %}{% block body %}
<div class="profile"><div class="name">{{ user.name }}</div></div>
<div class="cells"><div class="cell">当前状态：{{ status or "未开通报名" }}</div></div>{% endblock %}"""
app.jinja_env.loader = DictLoader({"layout": LAYOUT})


LIST = """{% extends "layout" %}{% block title %}列表{% endblock %}{% block body %}
<table>{% for p in page.items %}<tr><td>{{ p.id }}</td><td>{{ p.name }}</td></tr>{% endfor %}</table>
<p>共{{ page.total }}条 第{{ page.page }}/{{ page.pages }}页</p>{% endblock %}"""


@app.get("/console/<path:anything>")
@login_required
def console_list(anything: str):
    """A console list as the tutorials page one: Flask-SQLAlchemy's paginate (a COUNT and a LIMIT/OFFSET)."""
    page = db.paginate(select(Physician).order_by(Physician.id), per_page=50, max_per_page=50)
    return render_template_string(LIST, page=page)


@app.get("/m/", defaults={"anything": ""})
@app.get("/m/<path:anything>")
@login_required
def page(anything: str):
    status = db.session.scalar(select(Registration.status).where(Registration.physician_id == current_user.id))
    return render_template_string(PAGE, user=current_user, status=status)
