"""workspace language: each coordinator's chosen interface language

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-03 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('coordinators') as batch_op:
        batch_op.add_column(sa.Column('ui_lang', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('coordinators') as batch_op:
        batch_op.drop_column('ui_lang')
