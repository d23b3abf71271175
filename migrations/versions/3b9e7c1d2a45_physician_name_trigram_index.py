"""a trigram index on the physician's name (a console search for a part of it)

Revision ID: 3b9e7c1d2a45
Revises: 7d2f6a1c9b30
Create Date: 2026-12-05 10:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b9e7c1d2a45'
down_revision = '7d2f6a1c9b30'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index("ix_physicians_name_trgm", "physicians", ["name"], postgresql_using="gin",
                    postgresql_ops={"name": "gin_trgm_ops"})


def downgrade():
    op.drop_index("ix_physicians_name_trgm", table_name="physicians")
