"""The sandbox: the real bot against a local Bot API emulator, driven from a web page."""
