"""EPCIS 2.0 building blocks: JSON schema validation, document parsing and the CBV 2.0 event hash.

Pure functions over parsed JSON (``dict``); nothing here imports Flask or the database.
``schemas/`` holds the GS1 files these modules load (see ``schemas/SOURCE.txt``).
"""
