"""detente: a workbench for reciprocal-restraint agreements between states."""

__version__ = "0.1.0"
