"""sealed contacts: the network's public keys, sealed emails, and the crackdown's mark

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.String(length=100), nullable=False),
    sa.Column('fingerprint', sa.String(length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_label', sa.String(length=60), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['coordinators.id'], name=op.f('fk_contact_keys_created_by_coordinators'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_keys')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_contact_keys_fingerprint'))
    )
    op.add_column('signatures', sa.Column('email_sealed', sa.Text(), nullable=True))
    op.add_column('signatures', sa.Column('email_key', sa.String(length=24), server_default='', nullable=False))
    op.add_column('signatures', sa.Column('crackdown_from', sa.String(length=8), server_default='', nullable=False))


def downgrade():
    op.drop_column('signatures', 'crackdown_from')
    op.drop_column('signatures', 'email_key')
    op.drop_column('signatures', 'email_sealed')
    op.drop_table('contact_keys')
