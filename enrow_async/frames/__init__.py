"""DataFrames in, the same DataFrames out, with progress that renders in a notebook and in
a terminal alike (the ``frames`` extra: ``pip install 'enrow-async[frames]'``, which
brings narwhals and tqdm; pandas or polars are yours).

``find_emails_frame`` and ``verify_emails_frame`` are front-ends on the list engine
([ListJob][enrow_async.ListJob]), as the command line's ``find`` and ``verify`` are: the
columns found by name, every row checked before anything is paid for, the cost guard, the
record that makes a run resumable, and the frame back with the result columns appended
in row order. ``ProgressBar`` shows any list job's progress.

>>> found = await find_emails_frame(client, leads, record="leads.journal")  # doctest: +SKIP
"""

from .enrich import FIND_COLUMNS, VERIFY_COLUMNS, find_emails_frame, verify_emails_frame
from .progress import ProgressBar

__all__ = [
    "FIND_COLUMNS",
    "VERIFY_COLUMNS",
    "ProgressBar",
    "find_emails_frame",
    "verify_emails_frame",
]
