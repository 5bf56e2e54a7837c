"""Models behind one registry: ``load(name)`` gives a ready model, ``specs()`` lists them all.

Each other module of this package defines and registers one model (or one family sharing code).
"""

from faceatlas.models.registry import (
    ModelSpec,
    WeightFile,
    availability,
    get_spec,
    is_available,
    load,
    register,
    specs,
)

__all__ = ["ModelSpec", "WeightFile", "availability", "get_spec", "is_available", "load", "register", "specs"]
