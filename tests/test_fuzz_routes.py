"""Route-walking fuzz: every rule of `app.url_map`, every method, as anonymous, a physician and each
staff role, with hostile values in every path variable and in every field of the site's forms. Bad
input gets a 4xx (or a page that says what is wrong), never a 5xx.

Overflowing integers and NUL bytes only fail on PostgreSQL, which CI runs this on.
"""
from __future__ import annotations

import re
from itertools import product

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from wechat_app.domain.demo import seed_demo
from wechat_app.extensions import db
from wechat_app.models import Physician, Registration, Staff

HOSTILE = ["2147483648", "9223372036854775808", "-1", "a\x00b", "x" * 3000, "２０２６-１３-４５", "'\"<>%;\u202e", "1e999"]
PATH_VALUES = {"int": ["2147483648", "1", "3"], "default": ["%00", "x" * 600, "reset-password"]}
SKIPPED = {"static"}
IDENTITIES = ["anonymous", "physician", "rmyy", "rhzs", "kaohe", "txwjj", "hnwjw"]
FIELD = re.compile(r'name="([A-Za-z_][\w\-]*)"')
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def site(app):
    with app.app_context():
        seed_demo()
        physician = db.session.scalar(select(Physician).join(Registration, Registration.physician_id == Physician.id)
                                      .where(Registration.status == "open", Physician.department_id.is_not(None)))
        physician.must_change_password = False  # the demo's submitted registrations carry the review form
        db.session.commit()
        return physician.id


def sign_in(app, client, identity: str, physician_id: int) -> None:
    if identity == "anonymous":
        return
    with app.app_context():
        if identity == "physician":
            user = db.session.get(Physician, physician_id)
            user.must_change_password = False
            db.session.commit()
        else:
            user = db.session.scalar(select(Staff).where(Staff.username == identity))
            user.active = True
            db.session.commit()
        key, version = user.get_id(), user.session_version
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"], session["sv"] = key, version


def token_for(client) -> str:
    for page in ("/m/account", "/console/", "/login"):
        found = TOKEN.search(client.get(page).get_data(as_text=True))
        if found:
            return found.group(1)
    raise AssertionError("no page with a CSRF token")


def paths(rule) -> list[str]:
    variables = sorted(rule.arguments)
    if not variables:
        return [rule.rule]
    built = []
    for values in zip(*(PATH_VALUES["int" if isinstance(rule._converters[v], IntegerConverter) else "default"]
                        for v in variables), strict=True):
        path = rule.rule
        for variable, value in zip(variables, values, strict=True):
            path = re.sub(r"<[^>]*\b" + variable + ">", value, path)
        built.append(path)
    return built


def form_fields(app, physician_id: int) -> list[str]:
    """Every field name on every page a GET without variables shows, to any identity."""
    names = set()
    for identity in IDENTITIES:
        client = app.test_client()
        sign_in(app, client, identity, physician_id)
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint in SKIPPED:
                continue
            if not all(isinstance(rule._converters[v], IntegerConverter) for v in rule.arguments):
                continue
            for number in ("1", "2", "3", "4", "5") if rule.arguments else ("",):
                with client.get(re.sub(r"<[^>]+>", number, rule.rule)) as response:  # a file is closed after
                    if response.mimetype == "text/html":
                        names.update(FIELD.findall(response.get_data(as_text=True)))
    names.discard("csrf_token")
    return sorted(names)


def test_no_route_answers_a_5xx_to_hostile_input(app, site):
    fields = form_fields(app, site)
    assert {"id_number", "password", "registration_start", "education-count", "decision"} <= set(fields), fields
    failures = []
    for identity in IDENTITIES:
        client = app.test_client()
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint in SKIPPED:
                continue
            sign_in(app, client, identity, site)
            token = token_for(client)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for path, value in product(paths(rule), HOSTILE + [["1", "2"]]):
                    data = {name: value for name in fields}
                    if method == "GET":
                        response = client.get(path, query_string=data)
                    else:
                        response = client.open(path, method=method, data={**data, "csrf_token": token})
                    response.close()  # a stored file (a lesson video) is open until then
                    if response.status_code >= 500:
                        failures.append((identity, method, path[:80], repr(value)[:20], response.status_code))
    assert failures == [], "\n".join(map(str, failures[:40])) + f"\n({len(failures)} in all)"
