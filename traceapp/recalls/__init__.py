"""The recalls domain."""
