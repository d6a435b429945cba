"""Claims: filing (``filing``), case work (``casework``), the engine's computation of a claim
(``computation``), the documents added (``uploads``) and issued (``letters``), and their reads
(``reading``). Private to the benefits app: other apps use ``benefits.services`` and
``benefits.selectors``."""
