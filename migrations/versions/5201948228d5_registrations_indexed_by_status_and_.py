"""registrations indexed by status and submission time (the review queues page in index order)

Revision ID: 5201948228d5
Revises: 144979770a07
Create Date: 2026-12-04 21:53:13.619403

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5201948228d5'
down_revision = '144979770a07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index('ix_registrations_status_submitted', ['status', 'submitted_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_status_submitted')

