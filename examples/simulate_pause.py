"""How long would the post-Olympic pause last? Temptation rates estimated from the bundled record
(2016-2017, the two years before the pause); North Korea plays grim but takes 5% of its
occasions anyway (tremble); three ways for the US to answer what it sees; and the critical
detection probability of each side's commitment."""

from detente.agreements import presets
from detente.events.store import Store
from detente.simulate import simulate_agreement

pause = presets.load("post-olympic-pause")
with Store() as store:  # the default store, created from the bundled record on first use
    for usa in ("grim", "generous:forgive=0.5", "threshold_k:k=2,window=26"):
        result = simulate_agreement(pause, {"PRK": "grim", "USA": usa}, runs=20_000, seed=1,
                                    store=store, horizon="5y", tremble={"PRK": 0.05})
        s = result.summary()
        median = s["median_periods"] if s["median_periods"] is not None else "> 261"
        print(f"USA plays {usa:26s} median {median} weeks; P(holding) "
              f"6m {s['p_holding']['6m']:.2f}, 12m {s['p_holding']['12m']:.2f}, "
              f"24m {s['p_holding']['24m']:.2f}; collapses begun by a real breach "
              f"{s['collapse_cause_shares']['real_breach']:.0%}, by a false alarm "
              f"{s['collapse_cause_shares']['false_alarm']:.0%}")

print("\nwhere the rates come from:")
for party, rate in result.rates.items():
    print(f"  {party}: {rate['description']}")

print("\ncritical detection probability under grim play (weekly periods, discount 0.9/year):")
for party, t in result.critical_detection().items():
    crit = "no detection probability suffices" if t["critical"] is None else f"{t['critical']:.4f}"
    print(f"  {party}: spec detection {t['detection']:.2f}, critical {crit}, "
          f"self-enforcing: {'yes' if t['self_enforcing'] else 'no'}")
