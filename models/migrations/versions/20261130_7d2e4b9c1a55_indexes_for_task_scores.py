"""indexes for task scores

Revision ID: 7d2e4b9c1a55
Revises: 7d2e4b9c1a35
Create Date: 2026-11-30 19:00:00.000000

Covering indexes for the facts of the tasks due in a period (kpi.tasks.task_facts): the
tasks by due day, the work codes of a task, the returns and rejections of a code, and the
excuses of a task, each read from the index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7d2e4b9c1a55"
down_revision: str | None = "7d2e4b9c1a35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_due_facts", ["due_on", "employee_id", "type", "cancelled_at"], unique=False
        )
    with op.batch_alter_table("work_code", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_code_task_facts", ["task_id", "status", "created_at"], unique=False
        )
    with op.batch_alter_table("work_code_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_code_event_code_action", ["work_code_id", "action", "at"], unique=False
        )
    with op.batch_alter_table("excuse", schema=None) as batch_op:
        batch_op.create_index("ix_excuse_task_key", ["task_id", "key"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("excuse", schema=None) as batch_op:
        batch_op.drop_index("ix_excuse_task_key")
    with op.batch_alter_table("work_code_event", schema=None) as batch_op:
        batch_op.drop_index("ix_work_code_event_code_action")
    with op.batch_alter_table("work_code", schema=None) as batch_op:
        batch_op.drop_index("ix_work_code_task_facts")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_due_facts")
