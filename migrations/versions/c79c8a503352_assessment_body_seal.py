"""the assessment body's seal (公章) printed on its 考核结果通知书

Revision ID: c79c8a503352
Revises: 5e8566253779
Create Date: 2026-12-04 20:20:42.763966

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c79c8a503352'
down_revision = '5e8566253779'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assessment_bodies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal_png', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('assessment_bodies', schema=None) as batch_op:
        batch_op.drop_column('seal_png')
