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

# The curated public API, imported on first use so that `import detente` stays cheap.
# name -> (module, attribute).
_API: dict[str, tuple[str, str]] = {
    # events
    "Store": ("detente.events.store", "Store"),
    "EventFilter": ("detente.events.query", "EventFilter"),
    "Event": ("detente.events.event", "Event"),
    "Kind": ("detente.events.kinds", "Kind"),
    "ingest_file": ("detente.events.ingest", "ingest_file"),
    "ingest_coded": ("detente.events.ingest.coded", "ingest"),
    # agreements and the record
    "Agreement": ("detente.agreements.spec", "Agreement"),
    "load_agreement": ("detente.agreements.presets", "load"),
    "presets": ("detente.agreements.presets", "ids"),
    "check": ("detente.monitor", "check"),
    "Report": ("detente.monitor", "Report"),
    "whatif": ("detente.whatif", "whatif"),
    "WhatIfResult": ("detente.whatif", "WhatIfResult"),
    "verification_view": ("detente.verification", "view"),
    "InspectionGame": ("detente.inspection", "InspectionGame"),
    "solve_inspection_game": ("detente.inspection", "solve_game"),
    # simulation
    "simulate_agreement": ("detente.simulate", "simulate_agreement"),
    "SimulationResult": ("detente.simulate", "SimulationResult"),
    "critical_detection": ("detente.simulate", "critical_detection"),
    "sweep": ("detente.simulate.sweep", "sweep"),
    # event data over time
    "tension_index": ("detente.tension", "tension"),
    "quiet_windows": ("detente.tension", "windows"),
    "Watch": ("detente.watch", "Watch"),
    # seeing it
    "build_report": ("detente.report.builder", "build"),
    "run_demo": ("detente.demo", "run_demo"),
    # errors
    "DetenteError": ("detente.errors", "DetenteError"),
}
_MODULES = ("dialogue", "simulate", "report", "errors")

__all__ = sorted([*_API, *_MODULES])


def __getattr__(name: str):
    import importlib

    if name in _API:
        module, attribute = _API[name]
        return getattr(importlib.import_module(module), attribute)
    if name in _MODULES:
        return importlib.import_module(f"detente.{name}")
    raise AttributeError(f"module 'detente' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
