"""Life certificates of the pensioners who live abroad: the yearly campaign and its reminders,
the suspension of the benefits of those who do not answer, the certificates sent (checked by
staff) and the remote identity checks passed at a provider, which confirm the year's request and
resume the benefits (the next run pays the months missed as arrears)."""
