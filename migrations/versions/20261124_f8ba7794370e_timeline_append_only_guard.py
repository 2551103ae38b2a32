"""timeline append-only guard

Revision ID: f8ba7794370e
Revises: e0ec4b2d6afb
Create Date: 2026-11-24 09:48:44.785980

"""

from collections.abc import Sequence

from alembic import op

from models.append_only import create_guard, drop_guard

# revision identifiers, used by Alembic.
revision: str = "f8ba7794370e"
down_revision: str | Sequence[str] | None = "e0ec4b2d6afb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Refuse UPDATE and DELETE on the timeline in the database itself."""
    for statement in create_guard(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_guard(op.get_bind().dialect.name):
        op.execute(statement)
