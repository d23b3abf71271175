"""the institution's ratings (工作成绩, 职业道德) kept on the registration, read with it

Revision ID: 7d2f6a1c9b30
Revises: 5201948228d5
Create Date: 2026-12-05 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2f6a1c9b30'
down_revision = '5201948228d5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_rating', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('ethics_rating', sa.String(length=10), nullable=True))
    # The latest institution approval of each registration, as reviews.ratings read it before.
    op.execute("""
        UPDATE registrations SET
            work_rating = (SELECT r.work_rating FROM reviews r WHERE r.registration_id = registrations.id
                           AND r.stage = 'institution' AND r.decision = 'approve' ORDER BY r.id DESC LIMIT 1),
            ethics_rating = (SELECT r.ethics_rating FROM reviews r WHERE r.registration_id = registrations.id
                             AND r.stage = 'institution' AND r.decision = 'approve' ORDER BY r.id DESC LIMIT 1)
        WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.registration_id = registrations.id
                      AND r.stage = 'institution' AND r.decision = 'approve')
    """)


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('ethics_rating')
        batch_op.drop_column('work_rating')
