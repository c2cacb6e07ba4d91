"""The scans domain."""
