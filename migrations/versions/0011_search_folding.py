"""search folds Arabic and Persian letter variants and the tatweel

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 12:00:00

Data only: ``signatures.search_text`` is recomputed with :func:`portal.text.fold`, which now
also folds Arabic tā' marbūṭa, alif maqṣūra, alif waṣla, the Persian letters and the tatweel.
On SQLite the FTS5 triggers keep the trigram index in step with each update; PostgreSQL's
trigram index follows the column by itself.
"""
import sqlalchemy as sa
from alembic import op

from portal.text import fold

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    connection = op.get_bind()
    signatures = sa.table("signatures", sa.column("id", sa.Integer), sa.column("name", sa.String),
                          sa.column("search_text", sa.String))
    last = 0
    while True:
        rows = connection.execute(sa.select(signatures.c.id, signatures.c.name, signatures.c.search_text)
                                  .where(signatures.c.id > last).order_by(signatures.c.id)
                                  .limit(BATCH)).all()
        if not rows:
            return
        changed = [{"ident": ident, "folded": fold(name or "")} for ident, name, stored in rows
                   if fold(name or "") != stored]
        if changed:
            connection.execute(signatures.update().where(signatures.c.id == sa.bindparam("ident"))
                               .values(search_text=sa.bindparam("folded")), changed)
        last = rows[-1][0]


def downgrade():
    pass  # the new folding is a superset of the old: searches still find every name
