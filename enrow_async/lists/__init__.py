"""Lists of any size, run resumably: the engine every front-end drives (``ListJob``), the
record it keeps of every start (``Record``, ``MemoryRecord``, ``JournalFile``), and what
every front-end says of a run: its progress (``ListProgress``) and its figures in words
(``plan_lines``, ``report_lines``, ``credits_line``, ``gap_lines``, ``credits_text``,
``percent``). It holds every name of its modules' ``__all__``."""

from .engine import *
from .progress import *
from .record import *
from .report import *
from .waiting import *
from .words import *
