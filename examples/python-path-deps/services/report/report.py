"""The report: prints the shared library's greeting and exits."""

import humanize
from shared import greeting

print("report:", greeting("report"), f"({humanize.intword(3_400_000)} lines)")
