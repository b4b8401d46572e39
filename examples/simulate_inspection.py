"""The one-shot inspection game: how often must an inspector inspect, and how often does
violating pay, as the detection probability of an inspection varies?"""

from detente.inspection import InspectionGame, solve_game

base = dict(alpha=0.05, C=1, f=2, h=1, a=1, c=10, b=5, d=3)
print(f"deterrence needs q > {InspectionGame(q=1, **base).deterrence_threshold:.4f}")
for q in (0.3, 0.5, 0.8, 0.95):
    solution = solve_game(InspectionGame(q=q, **base))
    e = solution.main
    print(f"q = {q:.2f}: inspect {e.inspect:.4f}, violate {e.violate:.4f} ({solution.regime})")
