"""EPCIS 2.0, the format: JSON schema validation, document parsing and preparation, JSON-LD
documents out, the CBV 2.0 event hash, and their errors.

Pure functions over parsed JSON (``dict``); nothing here imports Flask, the database or the
events domain (capture, import and the query over recorded events live in ``traceapp.events``).
``schemas/`` holds the GS1 files these modules load (see ``schemas/SOURCE.txt``).
"""
