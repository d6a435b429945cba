"""The benefits' pages: ``schemes`` (the schemes, "am I entitled?", the pension simulator) and
``claims`` (filing a claim and following it)."""
