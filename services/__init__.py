"""What handlers and the scheduler share at run time: the Services container, the doorbell."""
