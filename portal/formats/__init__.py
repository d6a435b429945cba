"""Date and number formats per language, overriding Django's (``FORMAT_MODULE_PATH``)."""
