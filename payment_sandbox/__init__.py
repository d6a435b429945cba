"""A payment provider for demonstrations and tests, on its own URLs: an API to create a payment
and read its status, a hosted payment page (succeed, fail or cancel), and a signed server-to-
server callback. It knows nothing of the portal: the portal talks to it over HTTP, as it would
to a real provider. Enabled with PAYMENT_SANDBOX_ENABLED (by default only with DEBUG)."""
