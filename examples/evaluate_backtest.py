"""Is the simulator any good? Backtest its default forecast (behaviour fitted to the record)
against the five-year base rate for two proposals, on origins 2016-2019: each forecast is
made from the record before its origin and scored on weekly starts through the next year."""

from detente.agreements import presets
from detente.evaluate import evaluate
from detente.events.store import Store

with Store() as store:
    result = evaluate([presets.load("post-olympic-pause"), presets.load("freeze-for-freeze")],
                      store, origins=range(2016, 2020), horizons=(13, 26),
                      methods=("default", "base_5y"), runs=64, draws=500)
for s in result.scores:
    print(f"{s.method:8} {s.horizon:3} weeks: Brier {s.brier:.3f} on {s.n} cases")
for s in result.skills:
    print(f"skill at {s.horizon} weeks: {s.skill:+.3f} [{s.lo:+.3f}, {s.hi:+.3f}]")
print(result.verdicts or "no verdict: the intervals include zero")
