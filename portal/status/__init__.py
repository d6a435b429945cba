"""The public status page's measurements (``/status/``): which routes make each online service
(``catalogue``), counting requests per service and minute in Redis (``counting``), whether the
dependencies answer (``dependencies``), the beat tasks' work — copying the minutes to
PostgreSQL, recording the check of each minute, forgetting old minutes (``services``) — and the
page's figures (``selectors``, ``types``)."""
