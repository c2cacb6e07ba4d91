"""OCOP trace ledger: pure ledger library (format v1, RFC 6962, C2SP)."""
