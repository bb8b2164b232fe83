"""The monorepo's worker: prints one report line and exits."""

import emoji

print(emoji.emojize("worker done :check_mark_button:"))
