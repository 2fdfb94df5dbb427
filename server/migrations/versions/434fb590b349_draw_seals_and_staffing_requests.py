"""draw v2: seals (封存) frozen before the witness types, and staffing requests (补派) for unstaffed targets

draw_seals holds each draw's frozen inputs and the public block of their hashes and counts; a 补派
request names the target the draw left unstaffed instead of an inspection, so inspection_id may be null.

Revision ID: 434fb590b349
Revises: 32b053e74b38
Create Date: 2026-12-03 09:24:37.780463

"""
from alembic import op
import sqlalchemy as sa

import server.models.types
from sqlalchemy import Text  # noqa: F401  (JSONB variants render astext_type=Text())
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '434fb590b349'
down_revision = '32b053e74b38'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('draw_seals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('block', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('inputs', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('sealed_by_id', sa.Integer(), nullable=True),
    sa.Column('sealed_at', server.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_draw_seals_draw_id_draws')),
    sa.ForeignKeyConstraint(['request_id'], ['draw_requests.id'], name=op.f('fk_draw_seals_request_id_draw_requests')),
    sa.ForeignKeyConstraint(['sealed_by_id'], ['users.id'], name=op.f('fk_draw_seals_sealed_by_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_draw_seals_task_id_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draw_seals'))
    )
    with op.batch_alter_table('draw_seals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_seals_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_draw_seals_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('draw_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_uscc', sa.String(length=32), nullable=True))
        batch_op.alter_column('inspection_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade():
    # a 补派 request has no inspection, which the older schema cannot hold
    op.execute("DELETE FROM draw_requests WHERE inspection_id IS NULL")
    with op.batch_alter_table('draw_requests', schema=None) as batch_op:
        batch_op.alter_column('inspection_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('target_uscc')

    with op.batch_alter_table('draw_seals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_seals_task_id'))
        batch_op.drop_index(batch_op.f('ix_draw_seals_request_id'))

    op.drop_table('draw_seals')
