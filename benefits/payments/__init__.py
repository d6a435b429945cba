"""Entitlements paid: amounts and their indexation, the monthly runs, the bank's files and
answers, and what a person reads of their payments."""
