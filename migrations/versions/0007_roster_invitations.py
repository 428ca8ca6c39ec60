"""the network's roster, invitations per statement, invite-only statements, co-initiators

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'organisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('name_key', sa.String(length=300), nullable=False),
        sa.Column('other_names', sa.Text(), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('website', sa.String(length=300), nullable=False),
        sa.Column('domains', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('tags', sa.Text(), nullable=False),
        sa.Column('created_at', NOW, nullable=False),
        sa.Column('updated_at', NOW, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
        sa.UniqueConstraint('name_key', name=op.f('uq_organisations_name_key')),
    )
    op.create_table(
        'organisation_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE',
                                name=op.f('fk_organisation_contacts_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_contacts')),
        sa.UniqueConstraint('organisation_id', 'email',
                            name=op.f('uq_organisation_contacts_organisation_id_email')),
    )
    op.create_index(op.f('ix_organisation_contacts_organisation_id'), 'organisation_contacts',
                    ['organisation_id'])
    op.create_table(
        'invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=24), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('reminders', sa.Integer(), nullable=False),
        sa.Column('mail_id', sa.Integer(), nullable=True),
        sa.Column('decline_reason', sa.Text(), nullable=False),
        sa.Column('signature_id', sa.Integer(), nullable=True),
        sa.Column('created_at', NOW, nullable=False),
        sa.Column('sent_at', NOW, nullable=True),
        sa.Column('replied_at', NOW, nullable=True),
        sa.CheckConstraint("state IN ('invited', 'signed', 'declined', 'bounced')",
                           name=op.f('ck_invitations_state_valid')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ondelete='CASCADE',
                                name=op.f('fk_invitations_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], ondelete='SET NULL',
                                name=op.f('fk_invitations_signature_id_signatures')),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], ondelete='CASCADE',
                                name=op.f('fk_invitations_statement_id_statements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
        sa.UniqueConstraint('statement_id', 'organisation_id',
                            name=op.f('uq_invitations_statement_id_organisation_id')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash')),
        sa.UniqueConstraint('uid', name=op.f('uq_invitations_uid')),
    )
    op.create_index('ix_invitations_board', 'invitations', ['statement_id', 'state'])
    op.create_index(op.f('ix_invitations_mail_id'), 'invitations', ['mail_id'])
    op.create_index(op.f('ix_invitations_organisation_id'), 'invitations', ['organisation_id'])
    op.create_table(
        'co_initiators',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=300), nullable=False),
        sa.Column('code', sa.String(length=24), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', NOW, nullable=False),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], ondelete='CASCADE',
                                name=op.f('fk_co_initiators_statement_id_statements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_co_initiators')),
        sa.UniqueConstraint('code', name=op.f('uq_co_initiators_code')),
    )
    op.create_index(op.f('ix_co_initiators_statement_id'), 'co_initiators', ['statement_id'])
    op.create_table(
        'signature_sources',
        sa.Column('signature_id', sa.Integer(), nullable=False),
        sa.Column('co_initiator_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['co_initiator_id'], ['co_initiators.id'], ondelete='CASCADE',
                                name=op.f('fk_signature_sources_co_initiator_id_co_initiators')),
        sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], ondelete='CASCADE',
                                name=op.f('fk_signature_sources_signature_id_signatures')),
        sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_signature_sources')),
    )
    op.create_index(op.f('ix_signature_sources_co_initiator_id'), 'signature_sources',
                    ['co_initiator_id'])
    op.add_column('statements', sa.Column('invite_only', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column('statements', sa.Column('allowed_domains', sa.Text(), nullable=False,
                                          server_default=''))


def downgrade():
    with op.batch_alter_table('statements') as batch_op:
        batch_op.drop_column('allowed_domains')
        batch_op.drop_column('invite_only')
    op.drop_table('signature_sources')
    op.drop_table('co_initiators')
    op.drop_table('invitations')
    op.drop_table('organisation_contacts')
    op.drop_table('organisations')
