import sys

import orjson

v = sys.version_info
print(f"python {v.major}.{v.minor}.{v.micro} orjson {orjson.__version__} {orjson.dumps({'transplanted': True}).decode()}")
