"""The MCP server's cost guard: a cap the model cannot raise, and a confirmation it cannot
give itself.

The list engine ([ListJob][enrow_async.ListJob]) checks an estimate against a cap and the
balance; this module decides which cap a tool call runs under, and whether the call is
confirmed, from what the person who started the server set:

- ``max_credits`` (``--max-credits``, default ``DEFAULT_MAX_CREDITS`` per call) bounds
  every call; a tool's own ``max_credits`` argument can lower the cap, never raise it;
- above ``ask_above`` credits (default 0: any spending), a call needs a confirmation: the
  user's, asked through elicitation when the client can ask (form elicitation), else the
  tool's ``max_credits`` argument, which must then cover the estimate (the model states
  the price, in a call the client shows before running it);
- a refusal sends nothing and says what would let the call through.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs
from pydantic import BaseModel, Field

from enrow_async import Estimate, ListJob, SpendingRefusedError, credits_text

from ._words import plan_text

__all__ = ["DEFAULT_MAX_CREDITS", "Approval", "Guard", "Verdict", "question"]

DEFAULT_MAX_CREDITS = 1000.0
"""Credits one tool call may reserve when the server is started without ``--max-credits``."""

Confirmation = Literal["not needed", "user", "max_credits"]


class Approval(BaseModel):
    """The form the user answers (elicitation): go ahead or not."""

    approve: bool = Field(description="Reserve these credits and start the batches")


@attrs.frozen
class Verdict:
    """What the guard allows one call: to run under ``cap``, confirmed by whom, or a
    ``refusal`` (nothing is sent)."""

    cap: float
    confirmed_by: Confirmation = "not needed"
    refusal: SpendingRefusedError | None = None


@attrs.frozen
class Guard:
    """The limits the server was started with (``--max-credits``, ``--ask-above``)."""

    max_credits: float = DEFAULT_MAX_CREDITS
    ask_above: float = 0.0

    def cap(self, limit: float | None) -> float:
        """The cap of a call whose ``max_credits`` argument is ``limit``."""
        return self.max_credits if limit is None else min(self.max_credits, limit)

    def needs_confirmation(self, estimate: Estimate) -> bool:
        return estimate.to_send > 0 and estimate.credits > self.ask_above

    def verdict(
        self,
        job: ListJob[Any, Any, Any],
        estimate: Estimate,
        limit: float | None,
        *,
        can_ask: bool,
    ) -> Verdict | str:
        """The verdict on a call before anyone is asked, or the question to ask the user
        (when ``can_ask`` and a confirmation is needed). The job checks the cap and the
        balance first: nobody is asked about a run that would be refused anyway."""
        cap = self.cap(limit)
        try:
            job.check(estimate, max_credits=cap)
        except SpendingRefusedError as refused:
            return Verdict(cap, refusal=refused)
        if not self.needs_confirmation(estimate):
            return Verdict(cap)
        if can_ask:
            return question(estimate)
        if limit is not None:  # it covers the estimate: the cap it set was checked above
            return Verdict(cap, "max_credits")
        cost = credits_text(estimate.credits)
        refusal = SpendingRefusedError(
            f"this run would reserve {cost} credit(s) and this client cannot ask the user;"
            " nothing was sent",
            estimate.credits,
            "not_confirmed",
        )
        return Verdict(cap, refusal=refusal)

    def answered(self, estimate: Estimate, limit: float | None, approval: object) -> Verdict:
        """The verdict once the user answered the question: an accepted form that says
        ``approve``, or a refusal (declined, cancelled, or not approved)."""
        if isinstance(approval, Approval) and approval.approve:
            return Verdict(self.cap(limit), "user")
        refusal = SpendingRefusedError(
            "the user did not approve this run; nothing was sent",
            estimate.credits,
            "not_confirmed",
        )
        return Verdict(self.cap(limit), refusal=refusal)


def question(estimate: Estimate) -> str:
    """What the user is asked: the plan, its price and the balance. The same plan asks
    the same question, so an answer given once is not asked for again."""
    return f"{plan_text(estimate)}. Reserve {credits_text(estimate.credits)} credit(s) now?"
