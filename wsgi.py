"""WSGI entry point: ``gunicorn wsgi:app``."""

import os
import sys

from traceapp import create_app
from traceapp.config import get_settings
from traceapp.ledger_runtime import check_log_key_at_start

# The EPCIS worker thread (capture jobs, subscription deliveries) runs in the server unless
# TRACEAPP_EPCIS_WORKER=0 (then run `traceapp epcis work` beside it).
os.environ.setdefault("TRACEAPP_EPCIS_WORKER", "1")
app = create_app()
# As `traceapp serve` does: a log key that cannot work stops a production server here.
problem = check_log_key_at_start(get_settings(app))
if problem:
    print(f"warning: {problem}; the ledger cannot be written or proven", file=sys.stderr)
