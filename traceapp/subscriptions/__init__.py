"""EPCIS 2.0 named queries and their subscriptions: owned views on the events, and an outbox
of signed webhook deliveries derived from ledger index ranges (docs/epcis.md, Subscriptions)."""
