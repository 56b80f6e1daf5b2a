"""The OpenAPI description of the API: OAuth 2 security, request bodies, error responses.

Handlers read their parameters from JSON, forms or multipart alike (web/api/params.py), so
Litestar cannot infer their bodies from a typed `data` argument; each route states its body
fields here instead, through an `operation_class` that adds them to the generated operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import (
    Components,
    OAuthFlow,
    OAuthFlows,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType

from domain import oauth

SECURITY_SCHEME = "OAuth2"
BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    properties={
        "error": Schema(type=OpenAPIType.STRING),
        "error_description": Schema(type=OpenAPIType.STRING),
    },
    required=["error"],
)
ERRORS = {
    "400": "Malformed parameters (OAuth endpoints: an RFC 6749 error code in `error`)",
    "401": "Missing, malformed, expired or revoked access token",
    "403": "The token lacks the scope this method needs",
    "404": "No such record, or not visible",
    "422": "Invalid input, e.g. an empty or too long status",
    "429": "Rate limited; see the X-RateLimit-* and Retry-After headers",
}


@dataclass(frozen=True)
class Field:
    name: str
    description: str
    type: OpenAPIType = OpenAPIType.STRING
    required: bool = False
    array: bool = False


def _body(fields: tuple[Field, ...]) -> RequestBody:
    properties: dict[str, Any] = {}
    for item in fields:
        schema = Schema(type=item.type, description=item.description)
        properties[item.name] = (
            Schema(type=OpenAPIType.ARRAY, items=schema, description=item.description)
            if item.array
            else schema
        )
    schema = Schema(
        type=OpenAPIType.OBJECT,
        properties=properties,
        required=[item.name for item in fields if item.required] or None,
    )
    return RequestBody(content={kind: OpenAPIMediaType(schema=schema) for kind in BODY_TYPES})


def operation_class(
    body: tuple[Field, ...] = (), errors: tuple[str, ...] = ("401", "404", "422", "429")
) -> type[Operation]:
    """An Operation that also documents the request body and the error responses."""
    request_body = _body(body) if body else None
    error_responses = {
        code: OpenAPIResponse(
            description=ERRORS[code],
            content={"application/json": OpenAPIMediaType(schema=ERROR_SCHEMA)},
        )
        for code in errors
    }

    @dataclass
    class ApiOperation(Operation):
        def __post_init__(self) -> None:
            if request_body is not None:
                self.request_body = request_body
            self.responses = {**error_responses, **(self.responses or {})}

    return ApiOperation


def openapi_config(version: str) -> OpenAPIConfig:
    """The app's OpenAPI settings: the document at /schema (also /schema/openapi.json and
    /schema/openapi.yaml). No HTML viewer: those load scripts from CDNs, which the site's
    Content-Security-Policy rightly blocks, so they would render blank."""
    scopes = {scope: scope for scope in sorted(oauth.KNOWN_SCOPES)}
    return OpenAPIConfig(
        title="Agora",
        version=version,
        description=(
            "Agora's Mastodon-compatible client API. Status ids are strings: a post is "
            '"123", a comment "c45". Authenticate with an OAuth 2 bearer token (a JWT).'
        ),
        use_handler_docstrings=True,
        render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        components=Components(
            security_schemes={
                SECURITY_SCHEME: SecurityScheme(
                    type="oauth2",
                    description="OAuth 2 access tokens (JWT), sent as `Authorization: Bearer`",
                    flows=OAuthFlows(
                        authorization_code=OAuthFlow(
                            authorization_url="/oauth/authorize",
                            token_url="/oauth/token",
                            refresh_url=None,
                            scopes=scopes,
                        ),
                        password=OAuthFlow(token_url="/oauth/token", scopes=scopes),
                        client_credentials=OAuthFlow(token_url="/oauth/token", scopes=scopes),
                    ),
                )
            }
        ),
    )
