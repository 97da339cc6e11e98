"""esper_rekall: a Rekall-compatible interval algebra over Django video labels.

Importing this package must stay cheap and must not import Django: the pure
algebra in :mod:`esper_rekall.intervals` is usable without it.
"""

__version__ = "0.1.0"
