import numpy as np
import pandas as pd

frame = pd.DataFrame({"group": ["a", "b", "a", "b", "a"], "value": np.arange(1.0, 6.0)})
means = frame.groupby("group")["value"].mean()
print(f"result: a={means['a']:.1f} b={means['b']:.1f} numpy {np.__version__} pandas {pd.__version__}")
