"""The database floor: engine and writers' queue (``engine``), the app's sessions
(``sessions``), the read replicas (``replicas``), the declarative base (``base``) and the one
fast path for SQL (``statements``)."""
