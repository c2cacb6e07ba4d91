"""Shared test support: scenarios built through the real services."""
