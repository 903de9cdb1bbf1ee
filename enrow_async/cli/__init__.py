"""The ``enrow-async`` command (also ``python -m enrow_async``), a client of the public API.

::

    enrow-async find leads.csv -o found.csv [--journal leads.journal] [--sandbox]
    enrow-async wait ID... -o results.csv
    enrow-async results ID [--format csv|jsonl|json]
    enrow-async verify emails.csv -o verified.csv
    enrow-async account
    enrow-async simulator --port 8080

The API key comes from ``ENROW_API_KEY`` or ``--key-file``, never from the command line.
Errors are one line on stderr; the exit statuses are ``app``'s.

Modules: ``app`` (arguments, dispatch, exit statuses), ``connect`` (the client or the
sandbox), ``find``, ``verify`` and ``commands`` (the commands), ``job`` (the options of
find and verify, and the library's list job run with its plan, cost guard and progress
shown), ``resume`` (its record and the hints), ``progress``, ``interrupt`` (signals and a
closed stdout), ``streams`` and ``errors``. ``find`` and ``verify`` plan, de-duplicate,
batch, record, wait, word their figures and write tables nothing themselves: the library's
[ListJob][enrow_async.ListJob], ``enrow_async.tables`` and its words do. Nothing here
imports a private name of enrow_async.
"""

from .app import main, run, run_async

__all__ = ["main", "run", "run_async"]
