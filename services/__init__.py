"""What handlers, the scheduler and notices share at run time: the Services container."""
