"""Personal data at rest (wechat_app/pii.py): sealed ID numbers and phones, blind-index lookups, key
rotation, SMS rows without codes, and a database dump that reveals no ID number or phone."""
from __future__ import annotations

import base64
import os
import re

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, text

from wechat_app import pii
from wechat_app.domain import verification
from wechat_app.domain.accounts import find_physician
from wechat_app.domain.errors import DomainError
from wechat_app.domain.idnumbers import to_15
from wechat_app.domain.submission import sealed_identity
from wechat_app.extensions import kv
from wechat_app.models import Notification, Physician, Registration, RegistrationSnapshot
from wechat_app.outbox_worker import run_worker
from wechat_app.simulator.fake_api import fake

PHONE = "13987654321"


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_sealing_is_randomised_bound_to_its_purpose_and_reversible(app):
    with app.app_context():
        one, two = pii.seal("430103199003070422", "a"), pii.seal("430103199003070422", "a")
        assert one != two and "430103199003070422" not in one
        assert pii.unseal(one, "a") == "430103199003070422"
        with pytest.raises(InvalidTag):
            pii.unseal(one, "b")  # copied into another column: does not open


def test_keys_must_be_32_bytes():
    with pytest.raises(pii.PiiKeyError):
        pii.Keyring.from_settings("too-short", "")


def test_rotation_keeps_old_values_readable_and_rotate_moves_them(app, demo):
    old_key, old_index = app.config["PII_KEY"], app.config["PII_INDEX_KEY"]
    physician = demo.session.scalar(select(Physician).order_by(Physician.id))
    physician.phone = PHONE
    demo.session.commit()
    pid, id18 = physician.id, physician.id_number_18
    old_token = demo.session.execute(text("SELECT id_number FROM physicians WHERE id = :k"), {"k": pid}).scalar()

    first, first_index = new_key(), new_key()
    app.config["PII_KEY"] = f"{first},{old_key or pii.DEVELOPMENT_KEY}"
    app.config["PII_INDEX_KEY"] = f"{first_index},{old_index or pii.DEVELOPMENT_INDEX_KEY}"
    pii.init_app(app)
    try:
        demo.session.expire_all()
        assert find_physician(id18).id == pid  # found under the old index key during the rotation
        result = app.test_cli_runner().invoke(args=["pii", "rotate"])
        assert result.exit_code == 0 and "physicians 50" in result.output, result.output
        new_token = demo.session.execute(text("SELECT id_number FROM physicians WHERE id = :k"), {"k": pid}).scalar()
        assert new_token.split(":")[1] == pii.current_key_id() != old_token.split(":")[1]

        app.config["PII_KEY"], app.config["PII_INDEX_KEY"] = first, first_index  # old keys removed
        pii.init_app(app)
        demo.session.expire_all()
        found = find_physician(to_15(id18))
        assert found.id == pid and found.phone == PHONE and found.id_number_18 == id18
    finally:
        app.config["PII_KEY"], app.config["PII_INDEX_KEY"] = old_key, old_index
        pii.init_app(app)


def test_sms_rows_never_hold_the_code_and_an_expired_code_is_not_sent(app, demo):
    verification.send_sms_code(PHONE, "bind_phone", "physician:1")
    row = demo.session.scalar(select(Notification).where(Notification.channel == "sms").order_by(Notification.id.desc()))
    code = verification.code_for_delivery(row.data["code_ref"])
    assert code and code not in str(row.data) and PHONE not in str(row.data)
    run_worker(once=True)  # the demo's 短信补发 notices go out too: the code is among the texts sent
    assert any(code in sms["text"] and sms["phone"] == PHONE for sms in fake().sms)
    demo.session.expire_all()
    assert code not in str(demo.session.get(Notification, row.id).data)

    verification.send_sms_code("13911112222", "bind_phone", "physician:2")
    kv.delete(verification.code_key("13911112222", "bind_phone"))  # … and the code is gone (expired)
    sent = len(fake().sms)
    run_worker(once=True)
    assert len(fake().sms) == sent  # nothing pointless was sent
    assert demo.session.scalar(select(Notification).order_by(Notification.id.desc())).status == "undeliverable"


def test_sms_are_limited_per_number_and_per_account_each_day(app, demo):
    def next_minute():  # the 60-second interval between sends to one number has passed
        kv.delete(f"sms:interval:bind_phone:{verification.phone_ref(PHONE)}")

    for n in range(verification.SMS_DAILY):
        next_minute()
        verification.send_sms_code(PHONE, "bind_phone", f"physician:{n}")
    next_minute()
    with pytest.raises(DomainError) as refused:
        verification.send_sms_code(PHONE, "bind_phone", "physician:99")
    assert refused.value.status == 429 and "上限" in refused.value.message

    for n in range(verification.SMS_DAILY):
        verification.send_sms_code(f"1360000{n:04d}", "bind_phone", "physician:700")
    with pytest.raises(DomainError) as refused:
        verification.send_sms_code("13700000000", "bind_phone", "physician:700")
    assert refused.value.status == 429


def test_a_database_dump_reveals_no_id_number_and_no_phone(app, demo):
    physicians = demo.session.scalars(select(Physician)).all()
    for i, physician in enumerate(physicians[:10]):
        physician.phone = f"139{i:08d}"
    registration = demo.session.scalar(select(Registration))
    demo.session.add(RegistrationSnapshot(registration_id=registration.id, number=99, procedure="一般程序",
                                          data={"identity": sealed_identity(registration.physician), "steps": {},
                                                "conditions": []}))
    demo.session.commit()
    verification.send_sms_code("13900000003", "bind_phone", "physician:1")
    run_worker(once=True)
    secrets_ = {p.id_number_18 for p in physicians} | {to_15(p.id_number_18) for p in physicians} | \
        {p.phone for p in physicians if p.phone}

    dump = []
    for table in demo.metadata.sorted_tables:
        for row in demo.session.execute(text(f"SELECT * FROM {table.name}")):  # raw: no column types
            dump.append((table.name, " ".join(str(value) for value in row)))
    if demo.engine.dialect.name == "sqlite":
        with open(demo.engine.url.database, "rb") as file:
            dump.append(("the database file", file.read().decode("latin-1")))
    found = sorted({(table, s) for s in secrets_ for table, line in dump if s in line})
    assert found == [], found[:5]
    assert any(re.search(r"pii1:[0-9a-f]{8}:", line) for _, line in dump)
