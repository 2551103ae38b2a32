"""merge the remedies and the order feeds branches of the schema

Revision ID: d9e8f7a6b5c4
Revises: 8e2f4a6c1b37, c3d5f7a9b1e2
Create Date: 2026-11-30 14:00:00.000000

"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "d9e8f7a6b5c4"
down_revision: str | Sequence[str] | None = ("8e2f4a6c1b37", "c3d5f7a9b1e2")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Both branches' tables and columns are independent: nothing to do but join them."""


def downgrade() -> None:
    """Nothing joined here to undo."""
