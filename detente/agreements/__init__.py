"""Agreements: the spec model, bundled presets, and what is computed from them."""
