"""The registration's copy of its physician's institution, which the console's scopes read (issue 23):
made with the row however the row is made, moved by 调入/调离, never different from the physician's."""
from __future__ import annotations

from sqlalchemy import func, insert, select

from tests.helpers import many_awaiting
from wechat_app.domain import physicians
from wechat_app.models import Cycle, Institution, Physician, Registration, Staff


def disagreeing(session) -> int:
    return session.scalar(select(func.count()).select_from(Registration)
                          .join(Physician, Registration.physician_id == Physician.id)
                          .where(Registration.institution_id.is_distinct_from(Physician.institution_id)))


def test_every_registration_of_the_demo_and_of_a_bulk_load_carries_its_physicians_institution(demo):
    many_awaiting(demo, 5, 9100)
    assert demo.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.institution_id.is_not(None))) > 5
    assert disagreeing(demo.session) == 0


def test_a_row_inserted_without_the_column_reads_it_from_the_physician(demo):
    physician = demo.session.scalar(select(Physician).where(Physician.institution_id.is_not(None)).order_by(Physician.id))
    other_cycle = demo.session.scalar(select(Cycle).where(Cycle.id.not_in(
        select(Registration.cycle_id).where(Registration.physician_id == physician.id))).limit(1))
    demo.session.execute(insert(Registration.__table__), [
        {"physician_id": physician.id, "cycle_id": other_cycle.id, "status": "open", "draft": {}, "version": 1}])
    made = demo.session.scalar(select(Registration).where(Registration.cycle_id == other_cycle.id))
    assert made.institution_id == physician.institution_id is not None


def test_transfer_out_and_in_move_the_registrations_with_the_physician(demo):
    out_of = demo.session.scalar(select(Staff).where(Staff.username == "rmyy"))
    into = demo.session.scalar(select(Staff).where(Staff.username == "rhzs"))
    physician = demo.session.scalar(select(Physician).join(Registration, Registration.physician_id == Physician.id)
                                    .where(Physician.institution_id == out_of.institution_id).limit(1))
    physicians.transfer_out(out_of, physician, "调往仁和诊所", None)
    assert demo.session.scalars(select(Registration.institution_id).where(
        Registration.physician_id == physician.id)).all() == [None]
    physicians.transfer_in(into, physician, None)
    demo.session.expire_all()
    assert {demo.session.get(Institution, r.institution_id).name for r in demo.session.scalars(
        select(Registration).where(Registration.physician_id == physician.id))} == {"天心区仁和诊所"}
    assert disagreeing(demo.session) == 0
