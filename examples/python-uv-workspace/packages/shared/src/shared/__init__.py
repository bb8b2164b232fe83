"""The workspace's shared library: the apps' greeting."""

import humanize


def greeting(app: str, count: int) -> str:
    """One line naming the app and a count, in words."""
    return f"hello from {app} (shared greets {humanize.intword(count)} times)"
