"""Lists of any size, run resumably: the engine every front-end drives (``ListJob``) and
the record it keeps of every start (``Record``, ``MemoryRecord``, ``JournalFile``)."""

from .checks import Change, RowCheck, SkipReason, check_row
from .engine import ListJob, ListKind
from .record import JournalFile, MemoryRecord, Record
from .report import BatchMatch, Estimate, FinishedBatch, Gap, GapReason, ListReport

__all__ = [
    "Change",
    "RowCheck",
    "SkipReason",
    "check_row",
    "BatchMatch",
    "Estimate",
    "FinishedBatch",
    "Gap",
    "GapReason",
    "JournalFile",
    "ListJob",
    "ListKind",
    "ListReport",
    "MemoryRecord",
    "Record",
]
