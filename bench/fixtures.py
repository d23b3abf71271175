"""Bench fixtures, run inside the app's environment: N physicians with a complete registration
draft, each with a signed-in session cookie and its CSRF token (what a phone would hold), written
to OUT/sessions.tsv; T exam takers in an attempt each, with the answers they will send, written to
OUT/answers.tsv; for each page scenario the session of a physician in the state that page is for
(OUT/pages.tsv); and the database queries each of those pages makes, printed as a table.

    python -m bench.fixtures OUT N [T]
"""
from __future__ import annotations

import copy
import secrets
import sys
from datetime import date, timedelta
from pathlib import Path

from flask import g, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, select

from wechat_app import clock
from wechat_app.domain.demo import seed_demo
from wechat_app.domain.exams import assemble
from wechat_app.domain.registration import Status
from wechat_app.extensions import db
from wechat_app.models import (
    Arrangement,
    Attempt,
    Cycle,
    Department,
    FaceCheck,
    Institution,
    Physician,
    Registration,
    Upload,
)
from wechat_app.models.enums import QuestionPool
from wsgi import app


def complete_draft(department: Department, upload_id: int) -> dict:
    return {
        "1": {"photo": [upload_id], "gender": "女", "ethnicity": "汉族", "birth": "1980-01-01", "education": "大学本科",
              "email": "bench@example.cn"},
        "2": {"department": str(department.id), "specialties": department.subject_codes[:1], "title": "主治医师",
              "title_date": "2015-01-01", "level": "执业医师", "resident": "否", "category": "临床", "scope": "内科专业",
              "certificate_number": "110430100000001", "certificate_date": "2005-07-01",
              "certificate_kind": "纸质执业证书", "certificate_pages": [upload_id, upload_id]},
        "3": {"filings": [], "education": [{"level": "大学本科", "school": "湘雅医学院", "major": "临床医学",
                                            "start": "1998-09-01", "end": "2003-07-01"}], "practice": []},
        "4": {"good_record": "无", "bad_record": "无", "workload": "合格", "good_entries": [], "bad_entries": []},
        "5": {"procedure": "一般程序", "statement": "", "evidence": []},
    }


def make_physicians(n: int) -> list[Physician]:
    run = secrets.token_hex(3)  # a database kept from an earlier run already has earlier bench rows
    seed_demo()
    institution = db.session.scalar(select(Institution).where(Institution.name == "长沙市天心区人民医院"))
    department = db.session.scalar(select(Department).where(Department.institution_id == institution.id))
    cycle = db.session.scalar(select(Cycle).where(Cycle.is_current.is_(True)))
    template = db.session.scalar(select(Physician).order_by(Physician.id))
    physicians = []
    for i in range(n):
        p = Physician(name=f"压测医师{i}", gender="女", id_number=f"B{run}{i:06d}", birth_date=date(1980, 1, 1),
                      institution_id=institution.id, department_id=department.id, level="执业医师", category="临床",
                      password_hash=template.password_hash, must_change_password=False, phone="13800000000")
        physicians.append(p)
    db.session.add_all(physicians)
    db.session.flush()
    upload = Upload(physician_id=physicians[0].id, kind="photo", stored_name=f"bench-{run}.jpg", content_type="image/jpeg",
                    size=1, width=300, height=400)
    db.session.add(upload)
    db.session.flush()
    draft = complete_draft(department, upload.id)
    db.session.add_all(Registration(physician_id=p.id, institution_id=p.institution_id, cycle_id=cycle.id,
                                    status=Status.DRAFT.value, draft=copy.deepcopy(draft)) for p in physicians)
    db.session.commit()
    return physicians


def make_takers(n: int) -> list[tuple[Physician, Attempt]]:
    """N physicians waiting for the test, face verified, each in an attempt of the 简易程序 paper
    (one assembled paper, its rows copied: assembling it per physician is not what is measured)."""
    run = secrets.token_hex(3)
    institution = db.session.scalar(select(Institution).where(Institution.name == "长沙市天心区人民医院"))
    cycle = db.session.scalar(select(Cycle).where(Cycle.is_current.is_(True)))
    arrangement = db.session.scalar(select(Arrangement).where(Arrangement.cycle_id == cycle.id,
                                                              Arrangement.procedure == "简易程序"))
    template = db.session.scalar(select(Physician).order_by(Physician.id))
    takers = [Physician(name=f"压测考生{i}", gender="男", id_number=f"T{run}{i:06d}", birth_date=date(1980, 1, 1),
                        institution_id=institution.id, level="执业医师", category="临床",
                        password_hash=template.password_hash, must_change_password=False) for i in range(n)]
    db.session.add_all(takers)
    db.session.flush()
    registrations = [Registration(physician_id=p.id, institution_id=p.institution_id, cycle_id=cycle.id,
                                  status=Status.AWAITING_TEST.value,
                                  procedure="简易程序", draft={}) for p in takers]
    db.session.add_all(registrations)
    db.session.flush()
    drawn = assemble(arrangement.paper, cycle.province_id, "临床", 1, QuestionPool.EXAM)
    now = clock.now()
    attempts = [Attempt(arrangement_id=arrangement.id, paper_id=arrangement.paper_id, physician_id=p.id, registration_id=r.id, number=1, seed=1,
                        question_ids=drawn.question_ids, option_orders=drawn.option_orders, points=drawn.points,
                        started_at=now, deadline=min(now + timedelta(hours=2), arrangement.ends_at))
                for p, r in zip(takers, registrations, strict=True)]
    db.session.add_all(attempts)
    db.session.add_all(FaceCheck(arrangement_id=arrangement.id, physician_id=p.id, verdict="matched") for p in takers)
    db.session.commit()
    return list(zip(takers, attempts, strict=True))


def answer_lines(takers: list[tuple[Physician, Attempt]], per_taker: int = 5) -> list[str]:
    """cookie, CSRF token, attempt, question, option: the answers a phone would send, `per_taker` each."""
    lines = []
    for physician, attempt in takers:
        cookie, token = session_for(physician)
        for question_id in attempt.question_ids[:per_taker]:
            key = attempt.option_orders[str(question_id)][0]
            lines.append(f"{cookie}\t{token}\t{attempt.id}\t{question_id}\t{key}\n")
    return lines


def session_for(physician: Physician) -> tuple[str, str]:
    with app.test_request_context("/"):
        g.pop("csrf_token", None)  # Flask-WTF caches the token on g, which outlives this request here
        session["_user_id"] = physician.get_id()
        session["_fresh"] = True
        session["sv"] = physician.session_version  # the session generation (domain/sessions.py)
        token = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return cookie, token


# Each page scenario, the page and the state of the physician who opens it: a draft for the home
# page and the steps, 待考核机构复核 for the status page, 等待测评 for the exams and the study pages,
# 考核合格 for the results.
PAGES = {
    "home": ("/m/", None), "step": ("/m/registration/step/2", None),
    "status": ("/m/registration", Status.PENDING_ASSESSOR), "exams": ("/m/exams", Status.AWAITING_TEST),
    "results": ("/m/results", Status.PASSED), "study": ("/m/study", Status.AWAITING_TEST),
}


def page_physicians(draft: Physician) -> dict[str, Physician]:
    """The physician for each page scenario: the bench's own for a draft, else a demo physician
    (past the first sign-in's setup) in the state the page is for."""
    chosen = {}
    for name, (_, status) in PAGES.items():
        if status is None:
            chosen[name] = draft
            continue
        physician = db.session.scalar(select(Physician).join(Registration, Registration.physician_id == Physician.id)
                                      .where(Registration.status == status.value).order_by(Physician.id).limit(1))
        physician.must_change_password = False
        chosen[name] = physician
    db.session.commit()
    return chosen


def query_counts(physicians: dict[str, Physician]) -> list[tuple[str, int]]:
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    rows = []
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for name, (path, _) in PAGES.items():
            client = app.test_client()  # its own cookie jar: a cookie the last page set must not stay
            client.set_cookie("session", session_for(physicians[name])[0])
            g.pop("_login_user", None)  # requests here share this app context, where Flask-Login keeps the user
            for page in [path, *(f"/m/registration/step/{n}" for n in range(1, 6) if name == "step" and n != 2)]:
                for attempt in ("", " again"):  # the second request of the home page is served from its cache
                    seen.clear()
                    status = client.get(page).status_code
                    rows.append((f"GET {page}{attempt} ({status})", len(seen)))
                    if name != "home":
                        break
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return rows


def main() -> None:
    out, n, takers = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 0
    with app.app_context():
        physicians = make_physicians(n)
        lines = [session_for(p) for p in physicians]
        (out / "sessions.tsv").write_text("".join(f"{c}\t{t}\n" for c, t in lines))
        if takers:
            (out / "answers.tsv").write_text("".join(answer_lines(make_takers(takers))))
        pages = page_physicians(physicians[0])
        (out / "pages.tsv").write_text("".join(f"{name}\t{session_for(p)[0]}\n" for name, p in pages.items()))
        for label, count in query_counts(pages):
            print(f"{label}\t{count}")


if __name__ == "__main__":
    main()
