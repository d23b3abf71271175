"""item analyses (试题分析) of closed arrangements

Revision ID: 144979770a07
Revises: 1ca1a838856f
Create Date: 2026-12-04 21:06:06.432613

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '144979770a07'
down_revision = '1ca1a838856f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('item_analyses',
    sa.Column('arrangement_id', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['arrangement_id'], ['exam_arrangements.id'], name=op.f('fk_item_analyses_arrangement_id_exam_arrangements')),
    sa.PrimaryKeyConstraint('arrangement_id', name=op.f('pk_item_analyses'))
    )


def downgrade():
    op.drop_table('item_analyses')
