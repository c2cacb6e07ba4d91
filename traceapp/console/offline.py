"""The console on a weak connection: the service worker and the page of events waiting.

The worker (``static/console-sw.js``) is served from ``/console/sw.js`` so that its scope is the
console and nothing else. Events recorded offline wait in the phone's IndexedDB, each with the
idempotency key its form carried; the server only ever sees the ordinary form post, so a
retry after a lost response is a replay, never a second event.
"""

from __future__ import annotations

from flask import Response, current_app, send_from_directory

from traceapp.console.core import bp, render, signed_in
from traceapp.console.stamps import Page

WORKER = "console-sw.js"


@bp.route("/sw.js")
def service_worker() -> Response:
    folder = current_app.static_folder
    assert folder is not None
    response = send_from_directory(folder, WORKER, mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/console/"
    return response


@bp.route("/queue")
@signed_in
def queue() -> Page:
    return render("console/queue.html")
