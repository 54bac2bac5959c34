"""The schema registry: one declaration of every view of the LEO Iteration 2 extract.

from leokit.schema import REGISTRY
REGISTRY.view("hesa_2012").columns_for(2012)
"""

from . import codes
from .core import KINDS, Column, Registry, View
from .views import ALL_VIEWS

REGISTRY = Registry(ALL_VIEWS)

# Default SRS names; every reader takes them as parameters.
DATABASES = ("LEO_i2", "NPD_i2", "HESA_i2")
DEFAULT_SCHEMA = "leo_synth"

__all__ = [
    "REGISTRY",
    "DATABASES",
    "DEFAULT_SCHEMA",
    "KINDS",
    "Column",
    "View",
    "Registry",
    "codes",
]
