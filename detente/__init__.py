"""detente: a workbench for reciprocal-restraint agreements between states.

The four questions of any truce, freeze or moratorium, each one call (see README.md):

>>> import detente
>>> store = detente.Store()                                   # the bundled event record
>>> pause = detente.load_agreement("post-olympic-pause")     # a preset or any spec file
>>> detente.check(pause, store)                              # would it have held?
>>> detente.verification_view(pause)                         # can compliance be seen?
>>> detente.simulate_agreement(pause, store=store, runs=10_000, seed=1)  # how long?
>>> detente.dialogue.analyse(detente.dialogue.load("korea-2018"))  # what could be agreed?
"""

__version__ = "0.1.0"

from detente.exports import lazy

# The curated public API, imported on first use so that `import detente` stays cheap.
__getattr__, __all__ = lazy("detente", {
    # events
    "Store": "detente.events.store",
    "EventFilter": "detente.events.query",
    "Event": "detente.events.event",
    "Kind": "detente.events.kinds",
    "ingest_file": "detente.events.ingest",
    "ingest_coded": "detente.events.ingest.coded:ingest",
    # agreements and the record
    "Agreement": "detente.agreements.spec",
    "load_agreement": "detente.agreements.presets:load",
    "presets": "detente.agreements.presets:ids",
    "check": "detente.monitor",
    "Report": "detente.monitor",
    "whatif": "detente.replay",
    "WhatIfResult": "detente.replay",
    "verification_view": "detente.verification:view",
    "InspectionGame": "detente.inspection",
    "solve_inspection_game": "detente.inspection:solve_game",
    # simulation
    "simulate_agreement": "detente.simulate",
    "SimulationResult": "detente.simulate",
    "critical_detection": "detente.simulate",
    "sweep": "detente.simulate.sweep",
    "evaluate": "detente.evaluate:evaluate",
    "Evaluation": "detente.evaluate",
    # event data over time
    "tension_index": "detente.tension:tension",
    "quiet_windows": "detente.tension:windows",
    "Watch": "detente.watch",
    # seeing it
    "build_report": "detente.report.builder:build",
    "run_demo": "detente.demo",
    # errors, and the packages with their own APIs
    "DetenteError": "detente.errors",
    "dialogue": "detente.dialogue:*",
    "simulate": "detente.simulate:*",
    "report": "detente.report:*",
    "errors": "detente.errors:*",
})


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


def _notebook_reprs() -> None:
    """In a running IPython (a Jupyter kernel), draw results as tables and charts; the result
    classes themselves know nothing of presentation (``detente.report.notebook``)."""
    import sys

    if "IPython" not in sys.modules:
        return
    from detente.report.notebook import register

    register()


_notebook_reprs()
