"""Lists of any size, run resumably: the engine every front-end drives (``ListJob``), the
record it keeps of every start (``Record``, ``MemoryRecord``, ``JournalFile``), and what
every front-end says of a run: its progress (``ListProgress``) and its figures in words
(``plan_lines``, ``report_lines``, ``credits_line``, ``gap_lines``, ``credits_text``,
``percent``)."""

from .engine import ListJob, ListKind
from .progress import ListProgress
from .record import JournalFile, MemoryRecord, Record
from .report import BatchMatch, Estimate, FinishedBatch, Gap, GapReason, ListReport
from .words import credits_line, credits_text, gap_lines, percent, plan_lines, report_lines

__all__ = [
    "BatchMatch",
    "Estimate",
    "FinishedBatch",
    "Gap",
    "GapReason",
    "JournalFile",
    "ListJob",
    "ListKind",
    "ListProgress",
    "ListReport",
    "MemoryRecord",
    "Record",
    "credits_line",
    "credits_text",
    "gap_lines",
    "percent",
    "plan_lines",
    "report_lines",
]
