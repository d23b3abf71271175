"""Fixtures of the console-list row of `make bench`, run inside the app's environment: the demo, then
a province of N physicians (default 100,000) in 100 institutions of the demo's district and body, each
with a registration of this cycle in a spread of statuses. Prints, tab-separated, the session cookies
of the staff who open the lists (the body, the province, one bench institution) and a name and an ID
number to search for.

    python -m bench.lists_fixtures N
"""
from __future__ import annotations

import sys
from datetime import date, timedelta

from sqlalchemy import insert, select, text

from bench.fixtures import session_for
from wechat_app import clock
from wechat_app.domain.demo import seed_demo
from wechat_app.domain.idnumbers import check_character
from wechat_app.extensions import db
from wechat_app.models import Cycle, HealthAuthority, Institution, Physician, Registration, Staff
from wechat_app.models.physician import id_number_indexes
from wsgi import app

STATUSES = ("pending_assessor",) * 3 + ("awaiting_test",) * 4 + ("open", "pending_institution", "passed")
INSTITUTIONS = 100
CHUNK = 5000


def number(serial: int) -> str:
    """A distinct valid ID number per serial (a thousand per birth day, in 430111, not the demo's district)."""
    first17 = f"430111{date(1955, 1, 1) + timedelta(days=serial // 1000):%Y%m%d}{serial % 1000:03d}"
    return first17 + check_character(first17)


def province(total: int) -> tuple[str, str]:
    seed_demo()
    body_id = db.session.scalar(select(Staff.assessment_body_id).where(Staff.username == "kaohe"))
    district = db.session.scalar(select(HealthAuthority).where(HealthAuthority.level == "区县"))
    cycle = db.session.scalar(select(Cycle).where(Cycle.is_current.is_(True), Cycle.province_id == district.province_id))
    institutions = [Institution(province_id=district.province_id, health_authority_id=district.id,
                                assessment_body_id=body_id, name=f"基准医院{n:03d}", kind="医院", beds=300)
                    for n in range(INSTITUTIONS)]
    db.session.add_all(institutions)
    db.session.flush()
    db.session.add(Staff(username="benchlist", name="基准医院管理员", role="institution",
                         institution_id=institutions[0].id, password_hash="-"))
    seal = Physician.__table__.c.id_number.type  # sealed as the ORM would (PII_KEY), indexed (PII_INDEX_KEY)
    for start in range(0, total, CHUNK):
        rows = []
        for serial in range(start, min(start + CHUNK, total)):
            id18 = number(serial)
            rows.append({"name": f"基准医师{serial}", "gender": "男", "id_type": "身份证",
                         "id_number": seal.process_bind_param(id18, None), "id_number_index": id_number_indexes(id18)[0],
                         "institution_id": institutions[serial % INSTITUTIONS].id, "level": "执业医师", "category": "临床",
                         "password_hash": "-", "must_change_password": False, "session_version": 0,
                         "created_at": clock.now(), "_serial": serial})
        db.session.execute(insert(Physician.__table__), [{k: v for k, v in row.items() if k != "_serial"} for row in rows])
        ids = dict(db.session.execute(select(Physician.name, Physician.id).where(
            Physician.name.in_([row["name"] for row in rows]))).tuples().all())
        db.session.execute(insert(Registration.__table__), [
            {"physician_id": ids[row["name"]], "institution_id": row["institution_id"], "cycle_id": cycle.id, "status": STATUSES[row["_serial"] % len(STATUSES)],
             "procedure": "简易程序", "category": "临床", "level": "执业医师", "draft": {}, "version": 1,
             "updated_at": clock.now(), "submitted_at": clock.now()} for row in rows])
        db.session.commit()
    serial = total // 2 + 7  # a physician in the middle of the list, awaiting review (status index 0)
    serial -= serial % len(STATUSES)
    return f"基准医师{serial}", number(serial)


def main() -> None:
    with app.app_context():
        name, id_number = province(int(sys.argv[1]))
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load: without the statistics the planner
            # takes 100,000 fresh rows for a handful and sorts every candidate for a page of 50.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        cookies = {who: session_for(db.session.scalar(select(Staff).where(Staff.username == who)))[0]
                   for who in ("kaohe", "hnwjw", "benchlist")}
    print("\t".join([cookies["kaohe"], cookies["hnwjw"], cookies["benchlist"], name, id_number]))


if __name__ == "__main__":
    main()
