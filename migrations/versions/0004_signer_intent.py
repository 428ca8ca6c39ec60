"""the signer's intent: a live duplicate key per organisation, set-aside reasons, corrections,
launch-event allowances

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:00:00

"""
import unicodedata

import sqlalchemy as sa
from alembic import op

from portal.signatures import search

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

LIVE = sa.text("state IN ('pending', 'confirmed', 'validated')")


def _name_key(name: str) -> str:
    # portal.text.name_key as it was when this migration was written.
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())[:300]


def upgrade():
    with op.batch_alter_table('signatures') as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('screen_reason', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('proposed', sa.Text(), nullable=False, server_default=''))
        batch_op.drop_constraint('uq_signatures_statement_id_email_canonical', type_='unique')
    signatures = sa.table('signatures', sa.column('id', sa.Integer), sa.column('name', sa.String),
                          sa.column('name_key', sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(signatures.c.id, signatures.c.name)).all()
    for ident, name in rows:
        connection.execute(signatures.update().where(signatures.c.id == ident)
                           .values(name_key=_name_key(name or "")))
    op.create_index('uq_signatures_live', 'signatures', ['statement_id', 'email_canonical', 'name_key'],
                    unique=True, sqlite_where=LIVE, postgresql_where=LIVE)
    # SQLite rebuilt the table (migrations/env.py keeps its foreign keys off meanwhile), which
    # dropped the search triggers: put them back, and rebuild the index from the rows.
    search.install(connection)
    op.add_column('statements', sa.Column('allowance_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('statements', sa.Column('allowance_per_minute', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('statements') as batch_op:
        batch_op.drop_column('allowance_per_minute')
        batch_op.drop_column('allowance_until')
    op.drop_index('uq_signatures_live', table_name='signatures')
    with op.batch_alter_table('signatures') as batch_op:
        batch_op.create_unique_constraint('uq_signatures_statement_id_email_canonical',
                                          ['statement_id', 'email_canonical'])
        batch_op.drop_column('proposed')
        batch_op.drop_column('screen_reason')
        batch_op.drop_column('name_key')
