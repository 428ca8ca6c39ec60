"""per-country tallies count listed signatures only (hidden ones are in the total alone)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00

Data only: ``country_tallies`` and ``statements.count_countries`` are public figures, so
signatures counted but not listed leave them (portal/counts.py). The same recount as
``flask counts reconcile``.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _recount(which: str) -> None:
    op.execute("DELETE FROM country_tallies")
    op.execute("INSERT INTO country_tallies (statement_id, country, n) "
               "SELECT statement_id, country, count(*) FROM signatures "
               f"WHERE state = 'validated'{which} GROUP BY statement_id, country")
    op.execute("UPDATE statements SET version = version + 1, count_countries = ("
               "SELECT count(*) FROM country_tallies t WHERE t.statement_id = statements.id AND t.n > 0)")


def upgrade():
    _recount(" AND visibility <> 'hidden'")


def downgrade():
    _recount("")
