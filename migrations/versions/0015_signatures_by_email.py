"""an index on each statement's signatures by contact email (keyed hash): signing and the
checks beside it no longer read a statement's whole list (140 ms a signature at 200,000)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 16:00:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_signatures_email', 'signatures', ['statement_id', 'email_canonical'], unique=False)


def downgrade():
    op.drop_index('ix_signatures_email', table_name='signatures')
