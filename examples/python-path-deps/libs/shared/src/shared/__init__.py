"""What the services share: how they greet."""


def greeting(who: str) -> str:
    return f"hello from {who}, by way of libs/shared"
