"""Checked by mypy in test_typing.py, never run: each line marked ``# error`` must be
reported, and no other line."""

from __future__ import annotations

from enrow_async import (
    EmailSearch,
    EmailSearchDict,
    EnrowClient,
    JobProgress,
    PhoneSearchDict,
    StartedBatch,
    VerificationItemDict,
)


async def cases(client: EnrowClient) -> None:
    await client.find_emails(
        [{"fullname": "Jim", "company_domain": "acme.com", "custom": {"a": 1}}]
    )
    await client.find_emails([{"fullname": "Jim", "company_domian": "acme.com"}])  # error
    await client.find_emails([{"company_domain": "acme.com"}])  # error
    await client.find_emails([EmailSearch("Jim", "acme.com"), {"fullname": "Pam"}])
    await client.start_bulk_search([{"fulname": "Jim", "company_name": "Acme"}])  # error
    await client.email.bulk.start([{"fullname": 3}])  # error
    await client.email.find([{"fullname": "Jim", "custom": 4}])  # error
    await client.phone.bulk.start([{"linkedin_url": "https://linkedin.com/in/jim"}])
    await client.phone.bulk.start([{"linkedn_url": "https://linkedin.com/in/jim"}])  # error
    rows: list[EmailSearchDict] = [{"fullname": "Jim", "company_name": "Acme"}]

    def tick(progress: JobProgress) -> bool | None:  # tqdm's update returns a value
        return None

    def save(batch: StartedBatch) -> int:
        return batch.number

    await client.find_emails(rows, on_progress=tick, on_started=save)
    await client.find_emails(rows, resume=["batch-id"])  # error
    item: VerificationItemDict = {"email": "jim@acme.com", "custom": "row-1"}
    typo: VerificationItemDict = {"emial": "jim@acme.com"}  # error
    phone: PhoneSearchDict = {"firstname": "Jim", "lastname": "Halpert", "company_name": "A"}
    await client.verify.bulk.start(["jim@acme.com", item])
    await client.verify.bulk.start([{"emial": "jim@acme.com"}])  # error
    del item, typo, phone
