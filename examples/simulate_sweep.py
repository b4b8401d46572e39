"""A parameter sweep: how P(holding a year) of the post-Olympic pause depends on how well North
Korea's tests are seen and on how often false alarms are raised, when North Korea takes 5% of
its occasions anyway and the US forgives half of what it sees. Runs on every local core when the
sweep is big enough (pass scheduler="tcp://host:8786" for a Dask cluster); the same seed gives
the same table bit for bit either way."""

from detente.agreements import presets
from detente.simulate import build_model
from detente.simulate.sweep import sweep

model, _ = build_model(presets.load("post-olympic-pause"), rates={"PRK": 0.3, "USA": 0.1},
                       horizon="3y", tremble={"PRK": 0.05})
result = sweep(model, {"USA": "generous:forgive=0.5"},
               ["detection@PRK=0.2:1.0:0.4", "false_alarm@PRK=0:0.02:0.01"], runs=3_000,
               seed=11)
table = result.frame.pivot(index="false_alarm@PRK", columns="detection@PRK",
                           values="p_holding_12m")
print(f"P(holding 12 months), {len(result.frame)} points on {result.backend}:")
print(table.round(3).to_string())
path = result.to_parquet("pause-sweep.parquet")
print(f"\nwrote {path} with columns: {', '.join(result.frame.columns)}")
