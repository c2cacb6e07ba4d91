"""The sync GraphQL view: bearer-token authentication, context, error masking, UTF-8 JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from cross_web import HTTPException
from flask import Request, Response, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from strawberry.flask.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from graphql import GraphQLError
from traceapp.api.context import ApiContext
from traceapp.api.errors import present, reworded
from traceapp.auth.services import ANONYMOUS, Principal, authenticate
from traceapp.db.sessions import get_database
from traceapp.error_texts import translator
from traceapp.i18n import negotiate


def _unauthenticated(message: str) -> Response:
    body = {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}],
    }
    return Response(
        json.dumps(body),
        status=401,
        content_type="application/json",
        headers={"WWW-Authenticate": 'Bearer realm="ocop-trace-ledger"'},
    )


# graphql-core's hints name fields, arguments, types and enum values of the schema.
_SUGGESTION = re.compile(r" Did you mean [^?]*\?")


def _without_suggestions(error: GraphQLError) -> GraphQLError:
    """The error without "Did you mean ...?": with introspection off, the schema is private."""
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return reworded(error, message, error.extensions)


def principal_from(header: str | None) -> Principal | None:
    """The caller: anonymous without a header, None when the header is not a valid token."""
    if header is None:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    # A short session of its own: the request's read session starts no snapshot before writes.
    with get_database().read_sessions() as session:
        return authenticate(session, token.strip())


# GraphiQL's page loads only our own scripts and styles; its editor styles are inline
# (CodeMirror), its fonts data: URIs.
GRAPHIQL_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


class TraceGraphQLView(GraphQLView[ApiContext, None]):
    def dispatch_request(self) -> ResponseReturnValue:
        header = request.headers.get("Authorization")
        if header is None and request.mimetype == "multipart/form-data":
            # A form post from any site can be multipart; an upload must carry a token.
            return _unauthenticated("uploads need Authorization: Bearer <token>")
        principal = principal_from(header)
        if principal is None:
            return _unauthenticated("invalid or revoked token")
        g.api_principal = principal
        return super().dispatch_request()

    def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from our own static files (static/vendor/graphiql), never a CDN."""
        html = render_template("graphiql.html", endpoint=request.path)
        response = Response(html, content_type="text/html; charset=utf-8")
        response.headers["Content-Security-Policy"] = GRAPHIQL_CSP
        return response

    def get_context(self, request: Request, response: Response) -> ApiContext:
        return ApiContext(
            request=request,
            response=response,
            app=current_app._get_current_object(),  # type: ignore[attr-defined]
            principal=g.api_principal,
            database=get_database(),
        )

    def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        # Also covers errors raised outside the extensions' hooks.
        if result.errors:
            translate = translator(negotiate(request.headers.get("Accept-Language")))
            result.errors = [present(e, translate) for e in result.errors]
            if not current_app.config["TRACEAPP"].introspection:
                result.errors = [_without_suggestions(e) for e in result.errors]
        return process_result(result)

    def parse_http_body(self, request: Any) -> Any:
        # Bad bytes and pathological nesting are the client's error (400), not ours (500).
        try:
            return super().parse_http_body(request)
        except UnicodeDecodeError:
            raise HTTPException(400, "the request body is not valid UTF-8") from None
        except RecursionError:
            raise HTTPException(400, "the request body's JSON is nested too deeply") from None

    def parse_multipart(self, request: Any) -> dict[str, str]:
        # strawberry follows the upload map blindly: a path through a number or a list index
        # that is not one raises; the request is wrong, not the server.
        try:
            return super().parse_multipart(request)
        except (TypeError, ValueError, IndexError, AttributeError):
            raise HTTPException(400, "the upload map does not fit the operations") from None

    def encode_json(self, data: Any) -> str:
        # Vietnamese text goes out as stored (NFC), not as \\u escapes.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
