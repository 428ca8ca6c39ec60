"""signatures entered by a coordinator (channel, evidence, who checked it and when), and the
coordinators' digest settings and interface language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

from portal.signatures import search

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signatures') as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('evidence', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('checked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checked_by', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key('fk_signatures_checked_by_id_coordinators', 'coordinators',
                                    ['checked_by_id'], ['id'], ondelete='SET NULL')
    # SQLite rebuilt the table, which dropped the search triggers: put them back.
    search.install(op.get_bind())
    with op.batch_alter_table('coordinators') as batch_op:
        batch_op.add_column(sa.Column('ui_lang', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('digest_enabled', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('digest_threshold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('digest_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('digest_sent_size', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('coordinators') as batch_op:
        for name in ('digest_sent_size', 'digest_sent_at', 'digest_threshold', 'digest_enabled', 'ui_lang'):
            batch_op.drop_column(name)
    with op.batch_alter_table('signatures') as batch_op:
        batch_op.drop_constraint('fk_signatures_checked_by_id_coordinators', type_='foreignkey')
        for name in ('checked_at', 'checked_by', 'checked_by_id', 'evidence', 'channel'):
            batch_op.drop_column(name)
    search.install(op.get_bind())
