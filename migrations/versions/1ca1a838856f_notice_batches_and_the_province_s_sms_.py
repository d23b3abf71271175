"""notice batches (a fan-out's delivery report) and the province's SMS fallback

Revision ID: 1ca1a838856f
Revises: 116a651c26e7
Create Date: 2026-12-04 21:02:51.398389

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1ca1a838856f'
down_revision = '116a651c26e7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch', sa.String(length=60), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_batch'), ['batch'], unique=False)

    with op.batch_alter_table('provinces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_fallback', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    with op.batch_alter_table('provinces', schema=None) as batch_op:
        batch_op.drop_column('sms_fallback')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_batch'))
        batch_op.drop_column('batch')

