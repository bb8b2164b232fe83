"""The workspace's command: prints one report line and exits."""

from shared import greeting


def main() -> None:
    print("report:", greeting("cli", 3_000_000))
