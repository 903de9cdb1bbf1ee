"""The API by resource, as in Enrow's own SDKs: ``client.email``, ``client.verify``,
``client.phone`` and ``client.account``.

Every job kind has one namespace with one verb grammar: ``start`` (POST a new job),
``get`` (one read), ``watch`` (progress snapshots, bulk only), ``wait`` (until done) and
``wait_many`` (bulk only: each batch as it finishes). ``client.email.find`` runs a whole
list of any length through as many batches as it needs.
"""

from .account import AccountResource
from .base import BulkJobs, SingleJobs
from .email import EmailBulk, EmailResource, EmailSingle
from .phone import PhoneBulk, PhoneResource, PhoneSingle
from .verify import VerifyBulk, VerifyResource, VerifySingle

__all__ = [
    "AccountResource",
    "BulkJobs",
    "EmailBulk",
    "EmailResource",
    "EmailSingle",
    "PhoneBulk",
    "PhoneResource",
    "PhoneSingle",
    "SingleJobs",
    "VerifyBulk",
    "VerifyResource",
    "VerifySingle",
]
