"""``enrow-async mcp``: an MCP server for agents, on the official MCP Python SDK (the ``mcp``
extra: ``pip install 'enrow-async[mcp]'``), served over stdio.

A thin front-end on the list engine ([ListJob][enrow_async.ListJob]), as the command line
is: its tools read a list (inline rows, or a CSV/xlsx file read with ``enrow_async.tables``),
estimate it, let the cost guard decide, run the engine's job and answer a summary.

- ``estimate_list``: rows, rows skipped and why, distinct items, duplicates, credits,
  balance; nothing is sent.
- ``find_emails``, ``verify_emails``: spend credits under the guard, wait for the results on
  the client's shared watches, sending progress notifications, and answer the counts, the
  credits reserved, refunded and final, what has no result and why, and a sample; every row
  goes to the job's file and resource (``enrow://jobs/<job_id>/results.csv``).
- ``get_job``, ``get_batch``, ``get_account``: reads, free; a job survives the agent and
  the server (its journal is in the server's directory).

The guard (``Guard``): a cap per call set when the server starts (``DEFAULT_MAX_CREDITS``
by default) that no argument can raise; above ``ask_above`` credits, the user's approval
through elicitation where the client supports it, otherwise a ``max_credits`` argument
that covers the estimate.
"""

from ._guard import DEFAULT_MAX_CREDITS, Guard
from ._inputs import Lead
from ._server import Connect, McpSettings, build_server, serve

__all__ = [
    "DEFAULT_MAX_CREDITS",
    "Connect",
    "Guard",
    "Lead",
    "McpSettings",
    "build_server",
    "serve",
]
