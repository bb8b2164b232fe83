import humanize
print("pipenv:", humanize.ordinal(42))
