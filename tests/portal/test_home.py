"""The home page (考核安排), account settings and the content pages."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from tests.helpers import csrf_token, sms_code
from wechat_app import clock
from wechat_app.domain.registration import Status
from wechat_app.models import Article, AuditLog, Physician, Registration, WeChatUser


def ready(db, status: Status | None) -> Physician:
    """A demo physician past the first-login setup whose registration is in `status` (None: none)."""
    for physician in db.session.scalars(select(Physician).order_by(Physician.id)):
        registration = db.session.scalar(select(Registration).where(Registration.physician_id == physician.id))
        if (registration.status if registration else None) == (status.value if status else None):
            physician.must_change_password = False
            db.session.commit()
            return physician
    raise AssertionError(f"no demo physician in {status}")


def test_home_for_a_physician_not_enrolled(client, demo, login_as):
    clock.freeze(datetime(2026, 11, 29, 9, 0))
    physician = login_as(ready(demo, None))
    page = client.get("/m/").get_data(as_text=True)
    assert physician.name in page and physician.institution.name in page
    assert "考核周期：2023年01月 ~ 2025年12月" in page
    assert "当前任务：" in page and "未开通报名，请联系医疗卫生机构" in page
    for tool in ("我要报名", "我要学习", "参加考试", "考核结果", "免考申请", "在线客服", "常见问题"):
        assert tool in page
    assert f"未开通报名，请联系{physician.institution.name}的定考负责人" in page  # why 我要报名 is off


def test_home_for_an_enrolled_physician(client, demo, login_as):
    login_as(ready(demo, Status.OPEN))
    page = client.get("/m/").get_data(as_text=True)
    assert '<span class="task" id="current-task">已开通报名</span>' in page


def test_home_shows_the_procedure_once_chosen_and_the_windows(client, demo, login_as):
    demo.session.execute(Registration.__table__.update().values(procedure="简易程序"))
    demo.session.commit()
    login_as(ready(demo, Status.AWAITING_TEST))
    page = client.get("/m/").get_data(as_text=True)
    assert "您本周期执行：简易程序" in page and "报名完成-等待测评" in page
    for window in ("医师报名", "报名审核", "免考申请", "免考审核", "测评"):
        assert window in page
    assert "进行中" in page  # its papers are open now: 测评 进行中 (test_the_test_window_on_home_is_the_physicians_own_papers)


def test_tools_explain_window_edges(client, demo, login_as):
    physician = login_as(ready(demo, Status.OPEN))
    cycle = demo.session.scalar(select(Registration).where(Registration.physician_id == physician.id)).cycle
    cycle.registration_start, cycle.registration_end = date(2026, 4, 13), date(2026, 5, 6)
    demo.session.commit()
    clock.freeze(datetime(2026, 4, 12, 23, 59))
    assert "医师报名时间为04.13 ~ 05.06，尚未开始。" in client.get("/m/").get_data(as_text=True)
    clock.freeze(datetime(2026, 4, 13, 0, 0))
    assert "医师报名时间为" not in client.get("/m/").get_data(as_text=True)
    clock.freeze(datetime(2026, 5, 7, 0, 0))
    assert "医师报名已于05月06日结束。" in client.get("/m/").get_data(as_text=True)


def test_pages_need_a_signed_in_physician(client):
    for path in ("/m/account", "/m/setup"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_account_shows_the_masked_id_only(client, demo, login_as):
    physician = login_as(ready(demo, None))
    page = client.get("/m/account").get_data(as_text=True)
    assert physician.id_number_18[:3] + "*" * 11 + physician.id_number_18[-4:] in page
    assert physician.id_number_18 not in page and physician.id_number not in page


def test_change_password(client, demo, login_as):
    login_as(ready(demo, None))
    token = csrf_token(client.get("/m/account").get_data(as_text=True))
    wrong = client.post("/m/account/password", data={"csrf_token": token, "old_password": "nope",
                                                      "new_password": "Better#2026", "confirm": "Better#2026"})
    assert wrong.status_code == 400 and "原密码不正确" in wrong.get_data(as_text=True)
    ok = client.post("/m/account/password", data={"csrf_token": token, "old_password": "666666",
                                                   "new_password": "Better#2026", "confirm": "Better#2026"})
    assert ok.headers["Location"] == "/m/account"


def test_change_phone_with_a_code(app, client, demo, login_as):
    physician = login_as(ready(demo, None))
    physician_id = physician.id
    token = csrf_token(client.get("/m/account").get_data(as_text=True))
    client.post("/m/sms", data={"csrf_token": token, "purpose": "bind_phone", "phone": "15011112222"})
    bad = client.post("/m/account/phone", data={"csrf_token": token, "phone": "15011112222", "code": "123456"
                                                if sms_code(app, "15011112222") != "123456" else "654321"})
    assert bad.status_code == 400 and "验证码不正确" in bad.get_data(as_text=True)
    good = client.post("/m/account/phone", data={"csrf_token": token, "phone": "15011112222",
                                                 "code": sms_code(app, "15011112222")})
    assert good.headers["Location"] == "/m/account"
    demo.session.expire_all()
    assert demo.session.get(Physician, physician_id).phone == "15011112222"
    assert "150****2222" in client.get("/m/account").get_data(as_text=True)


def test_unbind_wechat(client, demo, login_as):
    physician = login_as(ready(demo, None))
    physician_id = physician.id
    demo.session.add(WeChatUser(openid="oBOUND", physician_id=physician.id))
    demo.session.commit()
    token = csrf_token(client.get("/m/account").get_data(as_text=True))
    assert client.post("/m/account/unbind", data={"csrf_token": token}).headers["Location"] == "/login"
    demo.session.expire_all()
    assert demo.session.scalar(select(WeChatUser.physician_id).where(WeChatUser.openid == "oBOUND")) is None
    assert demo.session.scalar(select(AuditLog.action).where(AuditLog.target_id == str(physician_id))) == "wechat_unbind"


def test_faq_support_and_articles(client, demo):
    faq = client.get("/m/faq").get_data(as_text=True)
    assert faq.count("<details>") == 11 and "忘记密码怎么办？" in faq
    assert "400-0555-699" in client.get("/m/support").get_data(as_text=True)
    policies = client.get("/m/articles?kind=政策").get_data(as_text=True)
    assert "中华人民共和国医师法" in policies and "医师定期考核管理办法" in policies
    manuals = client.get("/m/articles?kind=手册").get_data(as_text=True)
    assert "医师个人操作手册" in manuals
    article = demo.session.scalar(select(Article).where(Article.title == "医师个人操作手册"))
    assert "医师个人操作手册" in client.get(f"/m/articles/{article.id}").get_data(as_text=True)
    assert client.get("/m/articles?kind=广告").status_code == 404
    assert client.get("/m/articles/99999").status_code == 404


def test_pages_fit_360_pixels(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width' in page


def test_the_exemption_tile_follows_the_one_exemption_rule(demo):
    from tests.helpers import enrolled
    from wechat_app.domain.home import home_for
    from wechat_app.domain.submission import exemption_refusal
    from wechat_app.models import Exemption

    def tile(physician):
        return next(t for t in home_for(physician).tools if t.name == "免考申请")

    waiting = enrolled(demo, "awaiting_test")
    registration = demo.session.scalar(select(Registration).where(Registration.physician_id == waiting.id))
    assert tile(waiting).reason == exemption_refusal(registration)  # the same words as the 免考 page
    drafting = enrolled(demo, "open")
    assert "复核通过后才能申请免考" in (tile(drafting).reason or "")
    demo.session.add(Exemption(registration_id=registration.id, category="其他符合免考规定的情形",
                               explanation="已提交的申请", evidence=[]))
    demo.session.commit()
    assert tile(waiting).reason is None  # an application made: the tile opens the page that shows it


def test_the_favicon_is_served_and_an_error_page_names_the_site_once(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/vnd.microsoft.icon" and icon.data[:4] == b"\0\0\1\0"
    icon.close()
    missing = client.get("/m/no-such-page").get_data(as_text=True)
    assert "<title>出错了 - 定考通</title>" in missing


def test_the_test_window_on_home_is_the_physicians_own_papers(client, demo, login_as):
    """A paper open now is 测评 进行中 on home, whatever the cycle's 测评 dates say (issue 22, defect 3); a
    paper published later shows at once (the cached page is not kept past it)."""
    import re
    from datetime import timedelta

    from tests.helpers import ready_for_exam
    from wechat_app.domain import exams

    registration = ready_for_exam(demo, "简易程序")
    cycle = registration.cycle
    cycle.test_start, cycle.test_end = clock.today() + timedelta(days=30), clock.today() + timedelta(days=40)
    (paper,) = exams.arrangements_for(registration)
    paper.starts_at, paper.ends_at = clock.now() - timedelta(hours=1), clock.now() + timedelta(days=2)
    demo.session.commit()
    login_as(registration.physician)

    def test_row() -> str:
        page = client.get("/m/").get_data(as_text=True)
        return re.search(r'<span class="label">测评</span>(.*?)</div>', page, re.S).group(1)

    row = test_row()
    assert "进行中" in row and f"{paper.starts_at:%m.%d} ~ {paper.ends_at:%m.%d}" in row
    paper.starts_at, paper.ends_at = clock.now() + timedelta(days=5), clock.now() + timedelta(days=6)
    demo.session.commit()
    row = test_row()
    assert "未开始" in row and f"{paper.starts_at:%m.%d} ~ {paper.ends_at:%m.%d}" in row
