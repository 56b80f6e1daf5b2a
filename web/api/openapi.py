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
    OpenAPIHeader,
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
    "400": "Malformed parameters, e.g. a required one missing",
    "401": "Missing, malformed, expired or revoked access token",
    "403": "The token lacks the scope this method needs",
    "404": "No such record, or not visible (a malformed id in the path too)",
    "413": "The body or the uploaded image is too large",
    "422": "Invalid input: an empty or too long status, a number that is not ASCII digits "
    "within its id's range, a JSON body that is not valid Unicode JSON",
    "429": "Rate limited; see the X-RateLimit-* and Retry-After headers",
    "503": "The database cannot be reached for now; retry after Retry-After seconds",
}
RETRY_AFTER = OpenAPIHeader(
    description="Seconds to wait before trying again",
    schema=Schema(type=OpenAPIType.INTEGER),
)
# What any operation may answer: a token, if sent, may be invalid; parameters may be
# malformed; the rate limit and the database apply to all.
ALWAYS = ("400", "401", "404", "422", "429", "503")


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


def operation_class(body: tuple[Field, ...] = (), errors: tuple[str, ...] = ()) -> type[Operation]:
    """An Operation that also documents the request body and the error responses: those of
    ALWAYS, 413 with a body, and `errors` (keys of ERRORS), each as Mastodon's
    `{"error": ..., "error_description"?: ...}`."""
    request_body = _body(body) if body else None
    codes = sorted({*ALWAYS, *errors, *(("413",) if body else ())})
    error_responses = {
        code: OpenAPIResponse(
            description=ERRORS[code],
            content={"application/json": OpenAPIMediaType(schema=ERROR_SCHEMA)},
            headers={"Retry-After": RETRY_AFTER} if code in ("429", "503") else None,
        )
        for code in codes
    }

    @dataclass
    class ApiOperation(Operation):
        def __post_init__(self) -> None:
            if request_body is not None:
                self.request_body = request_body
            # Ours replace Litestar's generated 400, which describes its own error shape
            # ({"detail": ...}) rather than the JSON the API answers (web/errors.py).
            self.responses = {**(self.responses or {}), **error_responses}

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
            '"123", a comment "c45". Authenticate with an OAuth 2 bearer token (a JWT). '
            'Errors are Mastodon\'s: `{"error": "...", "error_description": "..."}`, the '
            "description only on some."
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
