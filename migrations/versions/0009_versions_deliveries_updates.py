"""text versions, delivery snapshots, updates to signatories, trust fields

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00

Signatures gain the versions they were signed on (NULL for those signed before versions
existed), a pending re-consent and "keep me informed"; the outbox gains extra headers.
Columns are added without rebuilding ``signatures`` (SQLite would drop its search triggers).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'text_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=16), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('body_md', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('first', 'editorial', 'substantive')", name='kind_valid'),
        sa.ForeignKeyConstraint(['created_by'], ['coordinators.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('statement_id', 'lang', 'number'),
    )
    op.create_index('ix_text_versions_statement_id', 'text_versions', ['statement_id'])
    op.create_table(
        'deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=300), nullable=False),
        sa.Column('delivered_on', sa.Date(), nullable=False),
        sa.Column('channel', sa.String(length=100), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('lang', sa.String(length=16), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('listed', sa.Text(), nullable=False),
        sa.Column('list_sha256', sa.String(length=64), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['coordinators.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('statement_id', 'number'),
    )
    op.create_index('ix_deliveries_statement_id', 'deliveries', ['statement_id'])
    op.create_table(
        'delivery_members',
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('signature_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('delivery_id', 'signature_id'),
    )
    op.create_index('ix_delivery_members_signature_id', 'delivery_members', ['signature_id'])
    op.create_table(
        'statement_updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('statement_id', sa.Integer(), nullable=False),
        sa.Column('happened_on', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('mailed', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['coordinators.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_statement_updates_statement_id', 'statement_updates', ['statement_id'])
    op.create_table(
        'update_texts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('update_id', sa.Integer(), nullable=False),
        sa.Column('lang', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('body_md', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['update_id'], ['statement_updates.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('update_id', 'lang'),
    )
    op.add_column('statements', sa.Column('initiators', sa.Text(), nullable=False, server_default=''))
    op.add_column('statements', sa.Column('corrections_contact', sa.String(length=254), nullable=False,
                                          server_default=''))
    op.add_column('statements', sa.Column('reconsent_days', sa.Integer(), nullable=False,
                                          server_default='14'))
    op.add_column('statements', sa.Column('reconsent_lapse', sa.String(length=8), nullable=False,
                                          server_default='stay'))
    op.add_column('signatures', sa.Column('text_version', sa.Integer(), nullable=True))
    op.add_column('signatures', sa.Column('original_version', sa.Integer(), nullable=True))
    op.add_column('signatures', sa.Column('reconsent_version', sa.Integer(), nullable=True))
    op.add_column('signatures', sa.Column('reconsent_asked_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('signatures', sa.Column('keep_informed', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    op.add_column('mail_outbox', sa.Column('headers', sa.Text(), nullable=False, server_default=''))


def downgrade():
    # Dropped one by one: SQLite drops a column in place (3.35+), without rebuilding the table.
    op.drop_column('mail_outbox', 'headers')
    for column in ('keep_informed', 'reconsent_asked_at', 'reconsent_version', 'original_version',
                   'text_version'):
        op.drop_column('signatures', column)
    for column in ('reconsent_lapse', 'reconsent_days', 'corrections_contact', 'initiators'):
        op.drop_column('statements', column)
    op.drop_table('update_texts')
    op.drop_table('statement_updates')
    op.drop_index('ix_delivery_members_signature_id', table_name='delivery_members')
    op.drop_table('delivery_members')
    op.drop_index('ix_deliveries_statement_id', table_name='deliveries')
    op.drop_table('deliveries')
    op.drop_index('ix_text_versions_statement_id', table_name='text_versions')
    op.drop_table('text_versions')
