"""personal data encrypted at rest

ID numbers and phones are sealed with the PII keys (wechat_app/pii.py) and ID numbers get a blind
index; the ID number and phone kept in submitted snapshots and the phone in queued SMS rows are
sealed too. Runs under `flask db upgrade`, which has built the app and so knows the keys.

Revision ID: 6b338e18ab37
Revises: a796029b3747
Create Date: 2026-11-29 15:07:53.908197

"""
import json

import sqlalchemy as sa
from alembic import op

from wechat_app import pii
from wechat_app.domain.idnumbers import mask, mask_phone
from wechat_app.models.physician import id_number_indexes

# revision identifiers, used by Alembic.
revision = '6b338e18ab37'
down_revision = 'a796029b3747'
branch_labels = None
depends_on = None

ID_NUMBER, PHONE = "physicians.id_number", "physicians.phone"
SNAPSHOT_ID_NUMBER, SNAPSHOT_PHONE = "registration_snapshots.id_number", "registration_snapshots.phone"
SMS_PHONE = "notifications.phone"


def as_dict(value):
    return json.loads(value) if isinstance(value, str) else (value or {})


def upgrade():
    with op.batch_alter_table('physicians', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number_index', sa.String(length=64), nullable=True))
        batch_op.alter_column('id_number', existing_type=sa.VARCHAR(length=32), type_=sa.String(length=255),
                              existing_nullable=False)
        batch_op.alter_column('phone', existing_type=sa.VARCHAR(length=20), type_=sa.String(length=255),
                              existing_nullable=True)
        batch_op.drop_constraint(batch_op.f('uq_physicians_id_number'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_physicians_id_number_18'), type_='unique')

    bind = op.get_bind()
    for key, id_number, phone in bind.execute(sa.text("SELECT id, id_number, phone FROM physicians")).all():
        if pii.is_sealed(id_number):
            continue
        bind.execute(sa.text("UPDATE physicians SET id_number = :n, id_number_index = :i, phone = :p WHERE id = :k"),
                     {"n": pii.seal(id_number, ID_NUMBER), "i": id_number_indexes(id_number, strict=False)[0],
                      "p": pii.seal(phone, PHONE) if phone else None, "k": key})
    for key, data in bind.execute(sa.text("SELECT id, data FROM registration_snapshots")).all():
        data = as_dict(data)
        identity = data.get("identity") or {}
        if "id_number" not in identity and "phone" not in identity:
            continue
        number, phone = identity.pop("id_number", None) or "", identity.pop("phone", None)
        identity.update(id_number_sealed=pii.seal(number, SNAPSHOT_ID_NUMBER), id_number_masked=mask(number),
                        phone_sealed=pii.seal(phone, SNAPSHOT_PHONE) if phone else None, phone_masked=mask_phone(phone))
        bind.execute(sa.text("UPDATE registration_snapshots SET data = :d WHERE id = :k"),
                     {"d": json.dumps(data, ensure_ascii=False), "k": key})
    for key, data in bind.execute(sa.text("SELECT id, data FROM notifications WHERE channel = 'sms'")).all():
        data = as_dict(data)
        if "phone" not in data:
            continue
        phone = data.pop("phone")
        data.update(phone_sealed=pii.seal(phone, SMS_PHONE), masked=mask_phone(phone))
        if "验证码为" in data.get("text", ""):
            data["text"], data["code_ref"] = "", None  # an old code in clear: not kept, not sent
        bind.execute(sa.text("UPDATE notifications SET data = :d, status = CASE WHEN :drop THEN 'undeliverable' "
                             "ELSE status END WHERE id = :k"),
                     {"d": json.dumps(data, ensure_ascii=False), "drop": not data.get("text"), "k": key})

    with op.batch_alter_table('physicians', schema=None) as batch_op:
        batch_op.alter_column('id_number_index', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_physicians_id_number_index'), ['id_number_index'])
        batch_op.drop_column('id_number_18')


def downgrade():
    with op.batch_alter_table('physicians', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number_18', sa.VARCHAR(length=18), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_physicians_id_number_index'), type_='unique')
    bind = op.get_bind()
    for key, id_number, phone in bind.execute(sa.text("SELECT id, id_number, phone FROM physicians")).all():
        bind.execute(sa.text("UPDATE physicians SET id_number = :n, phone = :p WHERE id = :k"),
                     {"n": pii.unseal(id_number, ID_NUMBER), "p": pii.unseal(phone, PHONE) if phone else None,
                      "k": key})
    with op.batch_alter_table('physicians', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_physicians_id_number'), ['id_number'])
        batch_op.alter_column('phone', existing_type=sa.String(length=255), type_=sa.VARCHAR(length=20),
                              existing_nullable=True)
        batch_op.alter_column('id_number', existing_type=sa.String(length=255), type_=sa.VARCHAR(length=32),
                              existing_nullable=False)
        batch_op.drop_column('id_number_index')
    # Snapshots and SMS rows keep their sealed values: the application of that revision cannot read
    # them, and personal data is not written back in clear by a downgrade.
