"""core — the shared kernel: the request's actor (``actor``, ``http``), the record of who read
whose data (``audit``), the domain's errors and their one mapping (``errors``), the API's error
shape, idempotency and throttling (``api``), queueing after commit (``tasks``), the registry of
advisory locks (``locks``), money and periods (``money``, ``periods``), cached reads
(``caching``, ``redis_cache``), prepared queries (``db``), verifiable documents
(``documents``, ``signatures``), outside providers' JSON APIs (``providers``), spreadsheets (``spreadsheet``), file sizes for people
(``sizes``), logging (``logging``), the
back office's bases (``backoffice``), template tags (``templatetags``) and shared types
(``types``).

Face (what other apps may import; the import contracts in pyproject.toml check it): every
module above. Its models, admin and migrations are private. It imports no domain app and
nothing of the project package.
"""
