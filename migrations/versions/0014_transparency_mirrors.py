"""the transparency log: an append-only hash chain per statement of changes to its public list

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('transparency_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], name=op.f('fk_transparency_entries_statement_id_statements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transparency_entries')),
    sa.UniqueConstraint('statement_id', 'seq', name=op.f('uq_transparency_entries_statement_id_seq'))
    )
    op.create_index(op.f('ix_transparency_entries_statement_id'), 'transparency_entries', ['statement_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_transparency_entries_statement_id'), table_name='transparency_entries')
    op.drop_table('transparency_entries')
