"""The typed answers of the API: frozen, slotted ``attrs`` classes with snake_case fields.

Wire names such as ``companyInfo`` are mapped in the converter (``_core/convert.py``),
never in user code. Unknown fields from the API are ignored and missing optional fields
are ``None``. Assigning to a field raises ``attrs.exceptions.FrozenInstanceError``; change
a copy with ``attrs.evolve``. Results hash: their ``custom`` and raw parameters (objects on
the wire) are compared but left out of the hash.

This package is a leaf: it imports nothing else of ``enrow_async``. It holds every name of
its modules' ``__all__``, all of them public (``enrow_async`` re-exports them).
"""

from .account import *
from .common import *
from .email import *
from .identity import *
from .mappings import *
from .phone import *
from .progress import *
from .record import *
from .verify import *
from .webhooks import *
