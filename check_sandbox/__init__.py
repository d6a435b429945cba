"""A remote identity check provider for demonstrations and tests, on its own URLs: an API to
create a check (a pensioner living abroad proving, by video and identity document, that they are
alive) and read its status, a hosted check page (confirmed, failed or cancelled), and a signed
server-to-server callback. It knows nothing of the portal: the portal talks to it over HTTP, as
it would to a real provider. Enabled with LIFE_CHECK_SANDBOX_ENABLED (by default only with
DEBUG)."""
