"""Console lists that scale (issue 23): each pages in the database, shows its total, keeps its filters
across pages, and searches by name, ID number (blind index) or institution."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.helpers import many_awaiting
from wechat_app.domain import audit
from wechat_app.extensions import db as _db
from wechat_app.models import Institution, Physician, Registration, Staff


def test_the_review_queue_pages_and_searches(client, staff, demo):
    many_awaiting(demo, 60, 8000, status="pending_assessor")
    staff("kaohe")
    waiting = demo.session.query(Registration).filter(Registration.status == "pending_assessor").count()
    first = client.get("/console/reviews").get_data(as_text=True)
    assert first.count('name="registration_id"') == 50 and f"共{waiting}条" in first
    second = client.get("/console/reviews?page=2").get_data(as_text=True)
    assert second.count('name="registration_id"') == waiting - 50
    one = client.get("/console/reviews", query_string={"words": "批量医师8007"}).get_data(as_text=True)
    assert one.count('name="registration_id"') == 1 and "共1条" in one
    in_hospital = demo.session.query(Registration).join(Physician, Registration.physician_id == Physician.id).join(
        Institution, Physician.institution_id == Institution.id).filter(
        Registration.status == "pending_assessor", Institution.name.contains("天心区人民")).count()
    by_institution = client.get("/console/reviews", query_string={"words": "天心区人民"}).get_data(as_text=True)
    assert 60 <= in_hospital < waiting and f"共{in_hospital}条" in by_institution


def test_the_audit_log_pages_past_its_old_200_rows(client, staff, demo):
    authority = demo.session.scalar(select(Staff).where(Staff.username == "hnwjw"))
    for number in range(230):
        audit.record("staff", authority.id, "staff_login", "staff", authority.id, f"10.0.{number // 256}.{number % 256}")
    _db.session.commit()
    staff("hnwjw")
    first = client.get("/console/audit?action=staff_login").get_data(as_text=True)
    assert first.count("<tr><td>20") == 50 and "action=staff_login" in first
    last = client.get("/console/audit?action=staff_login&page=5").get_data(as_text=True)
    assert 'aria-current="page">5<' in last and last.count("<tr><td>20") >= 30


@pytest.mark.parametrize("path, username", [("/console/reviews", "kaohe"), ("/console/results", "kaohe"),
                                             ("/console/results?view=published", "kaohe"), ("/console/overview", "rmyy")])
def test_a_page_of_a_list_costs_the_same_statements_for_10_or_40_rows(client, staff, demo, path, username):
    """No lazy load per row: a province's page of 50 is a few grouped queries, as a page of 10 is."""
    from tests.helpers import Statements

    status = "pending_assessor" if "reviews" in path else "awaiting_test"
    staff(username)

    def statements() -> int:
        client.get(path)  # what a process keeps once is filled first
        with Statements(_db.engine) as seen:
            assert client.get(path).status_code == 200
        return seen.count

    many_awaiting(demo, 10, 8300, status=status)
    few = statements()
    many_awaiting(demo, 30, 8400, status=status)
    assert statements() == few


def test_the_audit_log_filters_by_dates_and_actor_and_exports(client, staff, demo):
    from datetime import timedelta
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.helpers import csrf_token
    from wechat_app import clock
    from wechat_app.models import AuditLog

    province = demo.session.scalar(select(Staff).where(Staff.username == "hnwjw"))
    district = demo.session.scalar(select(Staff).where(Staff.username == "txwjj"))
    old = clock.now() - timedelta(days=40)
    demo.session.add(AuditLog(actor_type="staff", actor_id=str(district.id), action="cycle_update", target_type="staff",
                              target_id=str(district.id), authority_id=district.health_authority_id, created_at=old, detail={}))
    audit.record("staff", province.id, "cycle_update", "staff", province.id, "10.0.0.9")
    _db.session.commit()
    staff("hnwjw")
    today = clock.today().isoformat()
    recent = client.get("/console/audit", query_string={"action": "cycle_update", "since": today}).get_data(as_text=True)
    assert province.name in recent and district.name not in recent.split('id="audit"')[1]
    by_actor = client.get("/console/audit", query_string={"actor": district.name}).get_data(as_text=True)
    assert f"{old:%Y-%m-%d}" in by_actor and by_actor.split('id="audit"')[1].count("<tr><td>20") == 1
    assert client.get("/console/audit", query_string={"since": "2026-13-45", "actor": "%_"}).status_code == 200
    token = csrf_token(recent)
    exported = client.post("/console/audit/export.xlsx", data={"csrf_token": token, "actor": district.name})
    rows = list(load_workbook(BytesIO(exported.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "操作", "对象", "IP", "说明") and len(rows) == 2
    assert demo.session.scalar(select(AuditLog).where(AuditLog.action == "export_audit")) is not None
    for username in ("rmyy", "kaohe"):
        staff(username)
        assert client.post("/console/audit/export.xlsx", data={"csrf_token": token}).status_code in (400, 403)


def test_a_large_list_keeps_its_count_for_a_minute_and_says_about(app, client, staff, demo, monkeypatch):
    """Counting a province's list is most of its page's cost: a total of LIST_COUNT_KEPT_ABOVE rows or
    more is kept for a minute per query and parameters (hashed: no search words in the store) and shown
    as 约; the rows are read afresh; a small list and another search are counted exactly."""
    from wechat_app.extensions import kv

    stored: list[str] = []
    original = kv.set
    monkeypatch.setattr(kv, "set", lambda key, value, ttl=None: (stored.append(key), original(key, value, ttl))[1])
    app.config["LIST_COUNT_KEPT_ABOVE"] = 10
    many_awaiting(demo, 12, 8500, status="pending_assessor")
    staff("kaohe")
    first = client.get("/console/reviews").get_data(as_text=True)
    total = int(re.search(r"共(\d+)条", first).group(1))
    assert total >= 12 and "共约" not in first
    many_awaiting(demo, 3, 8600, status="pending_assessor")
    again = client.get("/console/reviews").get_data(as_text=True)
    assert f"共约{total}条" in again and "总数每分钟更新" in again
    assert again.count('name="registration_id"') == min(total + 3, 50)  # the rows are read afresh
    searched = client.get("/console/reviews", query_string={"words": "压测"}).get_data(as_text=True)
    assert "共约" not in searched
    assert stored and all(re.fullmatch(r"list-count:[0-9a-f]{64}", key) for key in stored)
    app.config["LIST_COUNT_KEPT_ABOVE"] = 1000  # a small list is counted every time
    assert f"共{total + 3}条" in client.get("/console/reviews").get_data(as_text=True)


def test_a_large_overview_keeps_its_funnel_for_a_minute(app, client, staff, demo):
    from tests.console.test_overview import cells

    app.config["LIST_COUNT_KEPT_ABOVE"] = 10
    staff("hnwjw")
    first = client.get("/console/overview").get_data(as_text=True)
    assert 'id="overview-kept"' not in first
    many_awaiting(demo, 5, 8700)
    again = client.get("/console/overview").get_data(as_text=True)
    assert 'id="overview-kept"' in again and cells(again, "overview-table")[-1] == cells(first, "overview-table")[-1]
    app.config["LIST_COUNT_KEPT_ABOVE"] = 0
    fresh = client.get("/console/overview").get_data(as_text=True)
    assert int(cells(fresh, "overview-table")[-1][1]) == int(cells(first, "overview-table")[-1][1]) + 5


def test_a_deep_page_reads_its_ids_first_and_shows_the_rows_a_plain_offset_would(app, demo):
    """paging.page_of: past the first page the ids come first (the rows an OFFSET skips read as ids alone);
    the rows, their order and their eager loads are those of the plain query, with a join and without."""
    from wechat_app.domain import paging, reviews

    many_awaiting(demo, 130, 8200, status="pending_assessor")
    everywhere = set(demo.session.scalars(select(Institution.id)))
    with app.test_request_context():
        for query in (reviews.queue("assessor", everywhere), reviews.queue("assessor", everywhere, "批量医师8"),
                      reviews.queue("assessor", everywhere, "天心区人民")):
            for number in (2, 3):
                plain = [r.id for r in demo.session.scalars(query.limit(50).offset((number - 1) * 50))]
                page = paging.paginate(query, number)
                assert [r.id for r in page.rows] == plain and len(plain) > 0
                assert " IN (SELECT " in str(paging.page_of(query, 50, (number - 1) * 50))
                assert page.rows[0].physician.institution.name  # loaded with the page
