"""The citizen's contribution statement: their contribution record for all years or a range of
years, as a PDF registered as a verifiable document (its code and QR code lead to the public
verification page), for a bank, a landlord or a pension fund.

Those who may read the record may ask for it: the person, a proxy whose mandate allows viewing
the file, staff at the counter; a read by anyone but the person is written in their trail. The
statement tells the record as it stood when it was issued and does not expire (the registry
keeps no end date): a later declaration or payment changes the record, not the statement
already handed out, which says when it was issued.

Forty years of a record are twenty pages that take WeasyPrint seconds: the PDF is made on a
worker, never in the request.

1. ``statement_ask`` (asking.py, in the request) checks who asks and the years at once, stores
   the request with who asked and for whom, and queues its rendering once committed. The same
   form sent twice, or the same years asked while they are being prepared, get the same request.
2. ``statement_render`` (rendering.py, queue ``documents``) registers the code, renders the PDF,
   records its hash and stores the file with the request, in one transaction that holds the
   request's row lock: a registered code always has its file, and a file its code. The person
   is told through the notifications app.
3. ``statements_reconcile`` (every 15 s) queues again the pending requests nobody is working
   on (a lost message, a dead worker); ``statements_purge`` (nightly) drops the files kept more
   than ``STATEMENT_KEEP_DAYS`` days — the registry row stays, so the code still verifies.
4. ``statement_file_get`` (reads.py) hands the file to those who may read the record at the
   moment they download it, and writes a download by anyone but the person in their trail.
"""

from contributions.statements.asking import (
    RENDER_TASK,
    STATEMENT_REFUSAL_MESSAGES,
    Asked,
    StatementRefused,
    statement_ask,
    statement_years,
)
from contributions.statements.reads import (
    STATEMENTS_LISTED,
    StatementFile,
    StatementRow,
    statement_file_get,
    statement_get,
    statement_list,
)
from contributions.statements.rendering import (
    FAILURE_MESSAGES,
    RENDER_MAX_ATTEMPTS,
    TRANSIENT_ERRORS,
    failure_message,
    statement_render,
    statements_purge,
    statements_reconcile,
)

__all__ = [
    "FAILURE_MESSAGES",
    "RENDER_MAX_ATTEMPTS",
    "RENDER_TASK",
    "STATEMENTS_LISTED",
    "STATEMENT_REFUSAL_MESSAGES",
    "TRANSIENT_ERRORS",
    "Asked",
    "StatementFile",
    "StatementRefused",
    "StatementRow",
    "failure_message",
    "statement_ask",
    "statement_file_get",
    "statement_get",
    "statement_list",
    "statement_render",
    "statement_years",
    "statements_purge",
    "statements_reconcile",
]
