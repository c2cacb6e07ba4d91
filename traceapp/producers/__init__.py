"""The producers domain."""
