"""Every message the bot sends on its own: its text in the recipient's language, its buttons.

Handlers (after a command) and the scheduler (at a time) both draft their messages here, and
queue them in the outbox; neither imports the other.
"""
