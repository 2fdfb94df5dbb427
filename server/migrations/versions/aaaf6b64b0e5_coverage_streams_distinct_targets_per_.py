"""coverage streams distinct targets per cell

ix_inspections_stats_cell orders the inspections by (category, risk level, target), so that the coverage
figure counts each cell's distinct targets in one streaming pass instead of grouping 140,000 targets and
sorting the results (services/stats/coverage.py). SQLite only: PostgreSQL hashes instead and does not use
it, and with it the cohort statement measured about 15% slower there.

Revision ID: aaaf6b64b0e5
Revises: e445836ffc9f
Create Date: 2026-12-04 18:38:28.581567

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'aaaf6b64b0e5'
down_revision = 'e445836ffc9f'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_index('ix_inspections_stats_cell', 'inspections',
                    ['target_category', 'target_risk_level', 'target_id', 'task_id', 'status', 'first_completed_at'],
                    unique=False)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index('ix_inspections_stats_cell', table_name='inspections')
