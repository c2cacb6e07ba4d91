"""OCOP trace ledger Flask application."""
