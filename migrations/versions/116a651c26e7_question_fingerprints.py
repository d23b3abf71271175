"""question fingerprints (stem + options, hashed): duplicates found on import

Revision ID: 116a651c26e7
Revises: c79c8a503352
Create Date: 2026-12-04 20:52:00

"""
import hashlib
import json
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '116a651c26e7'
down_revision = 'c79c8a503352'
branch_labels = None
depends_on = None


def fingerprint(stem, options):
    # as models/exam.py computes it (copied: a migration must not change when the model does)
    def plain(text):
        return re.sub(r"\s+", "", text or "")
    content = [plain(stem), sorted(plain(option.get("text", "")) for option in options or [])]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_questions_fingerprint', ['province_id', 'fingerprint'], unique=False)
    connection = op.get_bind()
    questions = sa.table("questions", sa.column("id", sa.Integer), sa.column("stem", sa.Text),
                         sa.column("options", sa.JSON), sa.column("fingerprint", sa.String))
    rows = connection.execute(sa.select(questions.c.id, questions.c.stem, questions.c.options)).all()
    for start in range(0, len(rows), 1000):
        connection.execute(questions.update().where(questions.c.id == sa.bindparam("qid")).values(
            fingerprint=sa.bindparam("fp")), [{"qid": row.id, "fp": fingerprint(row.stem, row.options)}
                                              for row in rows[start:start + 1000]])


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_fingerprint')
        batch_op.drop_column('fingerprint')
