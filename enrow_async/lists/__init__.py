"""Lists of any size, run resumably: the engine every front-end drives (``ListJob``) and
the record it keeps of every start (``Record``, ``MemoryRecord``, ``JournalFile``)."""

from .engine import ListJob, ListKind
from .record import JournalFile, MemoryRecord, Record
from .report import (
    BatchMatch,
    Estimate,
    FinishedBatch,
    Gap,
    GapReason,
    ListReport,
    credits_text,
)

__all__ = [
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
    "credits_text",
]
