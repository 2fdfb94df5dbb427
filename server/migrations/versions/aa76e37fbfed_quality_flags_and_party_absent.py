"""Quality flags for the reviewer (quality_flags; inspections.finished_at, answer_pattern) and 无人在场 (party_records.absent)

Revision ID: aa76e37fbfed
Revises: 6b8b6f9298aa
Create Date: 2026-12-03 13:27:01.457555

"""
from alembic import op
import sqlalchemy as sa

import server.models.types
from sqlalchemy import Text  # noqa: F401  (JSONB variants render astext_type=Text())
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = 'aa76e37fbfed'
down_revision = '6b8b6f9298aa'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('quality_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('inspection_version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', server.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', server.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('acknowledged_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_quality_flags_acknowledged_by_id_users')),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspections.id'], name=op.f('fk_quality_flags_inspection_id_inspections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_flags'))
    )
    with op.batch_alter_table('quality_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_flags_inspection_id'), ['inspection_id'], unique=False)
        batch_op.create_index('ix_quality_flags_open', ['acknowledged_at', 'inspection_id'], unique=False)

    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finished_at', server.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answer_pattern', sa.String(length=64), nullable=True))

    with op.batch_alter_table('party_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('absent', sa.Boolean(), server_default=sa.false(), nullable=False))




def downgrade():

    with op.batch_alter_table('party_records', schema=None) as batch_op:
        batch_op.drop_column('absent')

    with op.batch_alter_table('inspections', schema=None) as batch_op:
        batch_op.drop_column('answer_pattern')
        batch_op.drop_column('finished_at')

    with op.batch_alter_table('quality_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_flags_open')
        batch_op.drop_index(batch_op.f('ix_quality_flags_inspection_id'))

    op.drop_table('quality_flags')

