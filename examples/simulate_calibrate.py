"""Does the simulator forecast history? Fit temptation rates on 2012-2016, predict for every
weekly what-if start in 2017-2019 whether each preset would have held 6 and 12 months, and
score the forecasts against the replay, next to two naive baselines."""

import datetime as dt

from detente.agreements import presets
from detente.events.store import Store
from detente.simulate.calibrate import calibrate

with Store() as store:
    result = calibrate(presets.load_all(), store, (dt.date(2012, 1, 1), dt.date(2016, 12, 31)),
                       (dt.date(2017, 1, 1), dt.date(2019, 12, 31)), runs=20_000, seed=1)
print(result.scores().round(3).to_string(index=False))
for months, text in result.verdict().items():
    print(f"{months} months: {text}")
