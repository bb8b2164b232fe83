import humanize
print("uv:", humanize.naturalsize(123456789))
