"""coordinators' second factors (TOTP, passkeys) and recovery codes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('second_factors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('secret', sa.LargeBinary(), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=True),
    sa.Column('sign_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_step', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('totp', 'passkey')", name=op.f('ck_second_factors_kind_valid')),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinators.id'], name=op.f('fk_second_factors_coordinator_id_coordinators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factors')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_second_factors_credential_id'))
    )
    op.create_index(op.f('ix_second_factors_coordinator_id'), 'second_factors', ['coordinator_id'], unique=False)
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['coordinator_id'], ['coordinators.id'], name=op.f('fk_recovery_codes_coordinator_id_coordinators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_codes_code_hash'))
    )
    op.create_index(op.f('ix_recovery_codes_coordinator_id'), 'recovery_codes', ['coordinator_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_recovery_codes_coordinator_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_index(op.f('ix_second_factors_coordinator_id'), table_name='second_factors')
    op.drop_table('second_factors')
