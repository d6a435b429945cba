"""contributions — contribution rates, the employment register, monthly declarations (form,
API, bulk files), the employer's account (ledger, online payment, bank statements, penalties,
interest, compliance certificates) and the citizen's contribution record and its statements.

Face (what other apps may import; the import contracts in pyproject.toml check it):
``services`` (the employment register's writes), ``selectors`` (rates, employment histories,
a person's contribution record, insured careers over a population, declaration receipts —
dataclasses only), ``types`` and ``policies`` (who may read a record, declare for an
enterprise, see its account and pay). Everything else — models, the domain's own modules
(``declarations``, ``ledger``, ``bulk``, ``statements``…), views, API, forms, admin, URLs,
tasks — is private.
"""
