"""The database floor: engine and writers' queue (``engine``), the app's sessions
(``sessions``), the declarative base (``base``) and the one fast path for SQL (``statements``)."""
