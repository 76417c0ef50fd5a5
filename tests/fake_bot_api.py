"""Moved to `sandbox.botapi`; this alias stays until the tests import it from there."""

from sandbox.botapi import *  # noqa: F403
from sandbox.botapi import ApiCall, FakeBotAPI, FakeUser, StoredFile  # noqa: F401
