import humanize
print("poetry:", humanize.intword(1234567))
