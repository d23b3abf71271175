"""status check constraints

The status columns hold only their enum's values (wechat_app/models/statuses.py), on SQLite and
PostgreSQL alike. The values are written out here, as they were at this revision.

Revision ID: 72cde816b708
Revises: 6b338e18ab37
Create Date: 2026-11-29 16:35:00

"""
from alembic import op

revision = '72cde816b708'
down_revision = '6b338e18ab37'
branch_labels = None
depends_on = None

ALLOWED = {
    "registrations": ("not_open", "open", "draft", "pending_institution", "pending_assessor", "rejected",
                      "awaiting_test", "exempt", "passed", "failed", "makeup"),
    "exemptions": ("pending", "approved", "rejected"),
    "assessor_applications": ("pending", "approved", "rejected"),
    "notifications": ("pending", "sending", "sent", "failed", "undeliverable"),
}


def upgrade():
    for table, values in ALLOWED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint("status_allowed", "status IN (%s)" % ", ".join(f"'{v}'" for v in values))


def downgrade():
    for table in ALLOWED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint("status_allowed", type_="check")
