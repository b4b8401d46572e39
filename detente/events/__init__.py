"""Events: the model (kinds, actors, Event), the DuckDB store and the source adapters."""
