"""the physician's institution on the registration (a scope's queue read from one index)

Revision ID: 5e8a2c7f4b19
Revises: 3b9e7c1d2a45
Create Date: 2026-12-05 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8a2c7f4b19'
down_revision = '3b9e7c1d2a45'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registrations") as batch_op:
        batch_op.add_column(sa.Column("institution_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_registrations_institution_id_institutions"), "institutions",
                                    ["institution_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_registrations_institution_id"), ["institution_id"], unique=False)
    op.execute("UPDATE registrations SET institution_id = "
               "(SELECT physicians.institution_id FROM physicians WHERE physicians.id = registrations.physician_id)")
    op.drop_index("ix_registrations_status_submitted", table_name="registrations")
    op.create_index("ix_registrations_status_submitted", "registrations", ["status", "submitted_at", "id"],
                    postgresql_include=["institution_id"])


def downgrade():
    op.drop_index("ix_registrations_status_submitted", table_name="registrations")
    op.create_index("ix_registrations_status_submitted", "registrations", ["status", "submitted_at", "id"])
    with op.batch_alter_table("registrations") as batch_op:
        batch_op.drop_index(batch_op.f("ix_registrations_institution_id"))
        batch_op.drop_constraint(batch_op.f("fk_registrations_institution_id_institutions"), type_="foreignkey")
        batch_op.drop_column("institution_id")
