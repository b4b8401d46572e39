"""detente: a workbench for reciprocal-restraint agreements between states."""

__version__ = "0.1.0"

# The curated public API, imported on first use so that `import detente` stays cheap.
# name -> (module, attribute); add yours here.
_API: dict[str, tuple[str, str]] = {
    "Agreement": ("detente.agreements.spec", "Agreement"),
    "load_agreement": ("detente.agreements.presets", "load"),
    "check": ("detente.monitor", "check"),
    "Report": ("detente.monitor", "Report"),
    "WhatIfResult": ("detente.whatif", "WhatIfResult"),
    "verification_view": ("detente.verification", "view"),
    "tension_index": ("detente.tension", "tension"),
    "quiet_windows": ("detente.tension", "windows"),
    "Watch": ("detente.watch", "Watch"),
    "ingest_coded": ("detente.events.ingest.coded", "ingest"),
}


def __getattr__(name: str):
    if name in _API:
        import importlib

        module, attribute = _API[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'detente' has no attribute {name!r}")
