"""Surge fixtures, run inside the app's environment: N physicians of one hospital waiting for the test
of an arrangement open now, each with a registration photo (one picture, stored once, its face
measured once ahead of the start as the verifier workers do for every approved registration) and a
signed-in session cookie, written to OUT/surge.tsv (cookie, arrangement id); and the camera frames
each will send (a turning head, OUT/frame<i>.jpg).

    python -m bench.surge_fixtures OUT N
"""
from __future__ import annotations

import secrets
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bench.fixtures import session_for
from tests.helpers import live_frames, portrait
from wechat_app import clock
from wechat_app.domain.demo import seed_demo
from wechat_app.domain.face_checks import reference_for
from wechat_app.domain.registration import Status
from wechat_app.domain.uploads import store_image
from wechat_app.extensions import db
from wechat_app.face import verifier
from wechat_app.models import Arrangement, Cycle, Institution, Physician, Registration
from wsgi import app


def make_candidates(n: int) -> tuple[list[Physician], Arrangement]:
    run = secrets.token_hex(3)
    seed_demo()
    institution = db.session.scalar(select(Institution).where(Institution.name == "长沙市天心区人民医院"))
    cycle = db.session.scalar(select(Cycle).where(Cycle.is_current.is_(True)))
    arrangement = db.session.scalar(select(Arrangement).where(Arrangement.cycle_id == cycle.id,
                                                              Arrangement.procedure == "简易程序"))
    arrangement.starts_at, arrangement.ends_at = clock.now() - timedelta(minutes=1), clock.now() + timedelta(hours=4)
    template = db.session.scalar(select(Physician).order_by(Physician.id))
    physicians = [Physician(name=f"开考医师{i}", gender="女", id_number=f"S{run}{i:06d}", birth_date=date(1980, 1, 1),
                            institution_id=institution.id, level="执业医师", category="临床",
                            password_hash=template.password_hash, must_change_password=False) for i in range(n)]
    db.session.add_all(physicians)
    db.session.flush()
    photo = store_image(physicians[0].id, "photo", "photo.jpg", portrait("astronaut.png"))
    registrations = [Registration(physician_id=p.id, institution_id=p.institution_id, cycle_id=cycle.id,
                                  status=Status.AWAITING_TEST.value,
                                  procedure="简易程序", category="临床", level="执业医师",
                                  draft={"1": {"photo": [photo.id]}}) for p in physicians]
    db.session.add_all(registrations)
    db.session.flush()
    reference_for(registrations[0], verifier())  # what `flask exams faces` does ahead of 09:00
    db.session.execute(update(Registration).where(Registration.id.in_([r.id for r in registrations]))
                       .values(face_reference=registrations[0].face_reference))
    db.session.commit()
    return physicians, arrangement


def main() -> None:
    out, n = Path(sys.argv[1]), int(sys.argv[2])
    with app.app_context():
        physicians, arrangement = make_candidates(n)
        (out / "surge.tsv").write_text("".join(f"{session_for(p)[0]}\t{arrangement.id}\n" for p in physicians))
    for index, frame in enumerate(live_frames("astronaut.png")):
        (out / f"frame{index}.jpg").write_bytes(frame)


if __name__ == "__main__":
    main()
