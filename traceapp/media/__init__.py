"""Photos and logos: a content-addressed store, and the checks and renditions of an upload."""
