"""The GraphQL API (DESIGN §8): strawberry schema, permissions, limits, eager-loading planner."""

from __future__ import annotations

from flask import Flask

GRAPHQL_PATH = "/graphql"


def init_app(app: Flask) -> None:
    """Serve the schema at ``/graphql`` (POST; GET for queries); GraphiQL per settings."""
    from traceapp.api.schema import get_schema
    from traceapp.api.view import TraceGraphQLView

    settings = app.config["TRACEAPP"]
    view = TraceGraphQLView.as_view(
        "graphql",
        schema=get_schema(introspection=settings.introspection),
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=True,
        # Photo uploads (GraphQL multipart request spec). Not a CSRF door: the view refuses a
        # multipart request without a bearer token, which no cross-site form can send.
        multipart_uploads_enabled=True,
    )
    app.add_url_rule(GRAPHQL_PATH, view_func=view, methods=["GET", "POST"])
