"""Compare two proposals in one offline HTML report, from Python: the same report as
`detente report freeze-for-freeze post-olympic-pause`, with fewer simulated runs."""

from pathlib import Path

from detente.agreements import presets
from detente.events.store import Store
from detente.report import ReportOptions, build

with Store() as store:  # the default store; created with the bundled record on first use
    report = build([presets.load("freeze-for-freeze"), presets.load("post-olympic-pause")],
                   store, ReportOptions(runs=5000, seed=1, step_days=14))

for paragraph in report.summary()[:3]:
    print(paragraph, end="\n\n")
for agreement_id, result in report.simulations.items():
    print(f"{agreement_id}: P(holding after 12 months) = {result.p_holding(12):.1%} "
          f"({result.runs:,} runs, seed {result.seed})")
path = report.write(Path("compare-report.html"))
print(f"\nwrote {path} ({path.stat().st_size / 1e6:.1f} MB, opens offline)")
