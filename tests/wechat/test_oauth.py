"""OAuth web authorization through real HTTP: our entry → the fake authorize page → our callback."""
from __future__ import annotations

import requests

from tests.helpers import OPENID
from wechat_app.wechat.oauth import safe_next


def browser(live, openid=OPENID) -> requests.Session:
    session = requests.Session()
    session.cookies.set("sim_openid", openid, domain="127.0.0.1", path="/")
    return session


def start(session, live, next_path="/m/") -> str:
    """Follows entry → authorize and returns our callback URL (with code and state), not yet opened."""
    to_authorize = session.get(f"{live}/wechat/oauth/entry", params={"next": next_path}, allow_redirects=False)
    assert to_authorize.status_code == 302
    location = to_authorize.headers["Location"]
    assert location.startswith(f"{live}/_sim/connect/oauth2/authorize?") and location.endswith("#wechat_redirect")
    assert "scope=snsapi_base" in location
    to_callback = session.get(location.split("#")[0], allow_redirects=False)
    assert to_callback.status_code == 302
    return to_callback.headers["Location"]


def test_entry_to_callback_to_next(live):
    session = browser(live)
    callback = start(session, live, "/m/")
    landed = session.get(callback, allow_redirects=False)
    assert landed.status_code == 302 and landed.headers["Location"] == "/m/"
    bind_page = session.get(f"{live}/m/")  # not bound yet: the bind page
    assert bind_page.url == f"{live}/m/bind" and "登录并绑定" in bind_page.text


def test_state_mismatch_is_refused(live):
    session = browser(live)
    callback = start(session, live)
    forged = callback.replace("state=", "state=0")
    response = session.get(forged)
    assert response.status_code == 400 and "授权已失效" in response.text


def test_callback_without_a_started_login_is_refused(live):
    response = requests.get(f"{live}/wechat/oauth/callback", params={"code": "abc", "state": "abc"})
    assert response.status_code == 400 and "重新进入" in response.text


def test_missing_code_gets_a_clear_page(live):
    session = browser(live)
    callback = start(session, live)
    state = callback.split("state=")[1]
    response = session.get(f"{live}/wechat/oauth/callback", params={"state": state})
    assert response.status_code == 400 and "未获得授权" in response.text


def test_repeated_callback_with_the_same_code_gives_the_same_result(live, fake_wechat):
    session = browser(live)
    callback = start(session, live)
    assert session.get(callback, allow_redirects=False).headers["Location"] == "/m/"
    again = session.get(callback, allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"] == "/m/"
    assert fake_wechat.calls["sns/oauth2/access_token"] == 1  # exchanged once, never a 40163


def test_a_used_state_cannot_be_replayed_with_another_code(live):
    session = browser(live)
    callback = start(session, live)
    session.get(callback)
    state = callback.split("state=")[1]
    response = session.get(f"{live}/wechat/oauth/callback", params={"code": "othercode", "state": state})
    assert response.status_code == 400


def test_used_or_invalid_code_gets_a_clear_page(live):
    session = browser(live)
    callback = start(session, live)
    state = callback.split("state=")[1]
    response = session.get(f"{live}/wechat/oauth/callback", params={"code": "neverissued", "state": state})
    assert response.status_code == 400 and "授权码已失效" in response.text


def test_expired_code_from_wechat(live):
    session = browser(live)
    callback = start(session, live)
    requests.post(f"{live}/_sim/api/_faults", json={"path": "sns/oauth2/access_token", "errcode": 42003})
    response = session.get(callback)
    assert response.status_code == 400 and "授权码已失效" in response.text


def test_snapshot_user_is_never_identified(live):
    session = browser(live)
    callback = start(session, live)
    requests.post(f"{live}/_sim/api/_faults", json={"path": "sns/oauth2/access_token", "merge": {"is_snapshotuser": 1}})
    response = session.get(callback)
    assert response.status_code == 403 and "快照页" in response.text
    assert session.get(f"{live}/m/", allow_redirects=False).status_code == 302  # still anonymous


def test_wechat_unreachable_gets_a_clear_page_not_a_500(live):
    session = browser(live)
    callback = start(session, live)
    requests.post(f"{live}/_sim/api/_faults", json={"path": "sns/oauth2/access_token", "errcode": -1})
    response = session.get(callback)
    assert response.status_code == 502 and "稍后重试" in response.text


def test_open_redirects_are_refused(live):
    session = browser(live)
    callback = start(session, live, "//evil.example/phish")
    assert session.get(callback, allow_redirects=False).headers["Location"] == "/m/"


def test_safe_next():
    assert safe_next("/m/registration?step=2") == "/m/registration?step=2"
    for bad in (None, "", "https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)",
                "m/", "/m/\r\nLocation: x"):
        assert safe_next(bad) == "/m/"


def test_a_seen_code_cannot_be_redeemed_in_another_session(live, fake_wechat):
    """Someone who sees a victim's callback URL (a shared link, a proxy log) starts a flow of their
    own and presents the victim's code, with their own state and with the victim's: both refused."""
    victim = browser(live)
    victim_callback = start(victim, live)
    assert victim.get(victim_callback, allow_redirects=False).headers["Location"] == "/m/"
    code = victim_callback.split("code=")[1].split("&")[0]
    victim_state = victim_callback.split("state=")[1]

    attacker = browser(live, openid="oATTACKER00000000000000000001")
    own_state = start(attacker, live).split("state=")[1]
    for state in (own_state, victim_state):
        response = attacker.get(f"{live}/wechat/oauth/callback", params={"code": code, "state": state},
                                allow_redirects=False)
        assert response.status_code == 400
    with attacker.get(f"{live}/m/", allow_redirects=False) as home:
        assert home.status_code == 302 and "/m/bind" not in home.headers["Location"]  # still nobody


def test_a_non_ascii_state_is_a_clear_400(live):
    session = browser(live)
    start(session, live)
    response = session.get(f"{live}/wechat/oauth/callback", params={"code": "abc", "state": "状态"})
    assert response.status_code == 400 and "授权已失效" in response.text
