"""Joint inspections reviewed per department (inspection_reviews.department_id)

A review decision names the cooperating external department whose part of a 联合抽查 it is about;
NULL is the bureau's own part, so every existing row keeps its meaning.

Revision ID: 1bdac63d196e
Revises: aa76e37fbfed
Create Date: 2026-12-04 14:59:49.884026

"""
from alembic import op
import sqlalchemy as sa

from sqlalchemy import Text  # noqa: F401  (JSONB variants render astext_type=Text())


# revision identifiers, used by Alembic.
revision = '1bdac63d196e'
down_revision = 'aa76e37fbfed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inspection_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_inspection_reviews_department_id_departments'), 'departments', ['department_id'], ['id'])


def downgrade():
    with op.batch_alter_table('inspection_reviews', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspection_reviews_department_id_departments'), type_='foreignkey')
        batch_op.drop_column('department_id')
