//! The OpenAPI 3.1 description of both listeners, served at `GET /openapi.json` on the
//! admin listener.
//!
//! Nothing here lists routes: [`super::client_routes`] and [`super::admin_routes`]
//! register every handler with `utoipa-axum`'s `routes!`, which carries the handler's
//! `#[utoipa::path]` operation along, so the routers and this document are built from one
//! list and cannot drift. [`document`] merges the two listeners' operations and adds what
//! holds for whole classes of operations instead of repeating it on every handler:
//! - 408, 431 and 500, which the layers of every router can answer;
//! - the bearer scheme and 401 on every operation that declares `security`, also where
//!   the token is optional (`{}` among the requirements: `POST /v1/report`);
//! - 403 `forbidden` and 503 `store_unavailable` on every write that requires a token;
//! - 412 `revision_mismatch` on every operation that takes `If-Match` ([`IfMatch`]);
//! - 413 on every operation that takes a body;
//! - the `ETag` header on every answer that is a release.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response as ApiResponse, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{Components, ContentBuilder, InfoBuilder, OpenApi, Ref, RefOr, Tag};
use utoipa::{PartialSchema, ToSchema};

use super::error::ErrorBody;
use crate::config::LimitsConfig;

/// The tag of the client listener's operations.
pub const CLIENT_TAG: &str = "client";
/// The tag of the admin listener's operations.
pub const ADMIN_TAG: &str = "admin";
/// The tag of the operations both listeners serve.
pub const HEALTH_TAG: &str = "health";
/// The name of the bearer-token security scheme.
pub const BEARER: &str = "bearer";

const DESCRIPTION: &str = "\
graygate is a grayscale rollout gateway for mini programs (SPEC §4). It listens on two \
ports, and the operations here are grouped by listener:

- **client** listener (`server.client_listen`, default `127.0.0.1:8080`): tag `client` \
  (`/v1/resolve`, `/v1/report`) and tag `health`. No authentication, except that a \
  target app with a report token takes `/v1/report` only with `Authorization: Bearer`.
- **admin** listener (`server.admin_listen`, default `127.0.0.1:8081`): tag `admin` (the \
  admin API with bearer tokens, `/metrics`, `/openapi.json`) and tag `health`.

The document names no server: the addresses are deployment configuration.

Errors are JSON, `{\"error\":{\"code\":\"snake_case_code\",\"message\":\"…\"}}` with the \
status that fits (schema `ErrorBody`); 409 refusals add the release's `status` and \
`allowed_actions`. On either listener an unknown path answers 404 `no_route`, and a known \
path with another method 405 `method_not_allowed` (component response `MethodNotAllowed`). \
A request head larger than `limits.max_header_bytes` answers 431 without a body.";

/// The description of both listeners, generated from their routing tables.
pub fn document() -> OpenApi {
    let mut doc = super::client_routes().into_openapi();
    doc.merge(super::admin_routes(&LimitsConfig::default()).into_openapi());
    doc.info = InfoBuilder::new()
        .title("graygate")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(DESCRIPTION))
        .build();
    doc.tags = Some(tags());
    let components = doc.components.get_or_insert_with(Components::new);
    components.add_security_scheme(BEARER, bearer());
    components.responses.extend(shared_responses());
    components
        .schemas
        .insert(ErrorBody::name().into(), ErrorBody::schema());
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        let reads = [true, false, false, false, true, true, false, true];
        for (op, read) in operations.into_iter().zip(reads) {
            if let Some(op) = op {
                add_common_responses(op, read);
                add_release_etag(op);
                optional_body_is_absent_not_null(op);
            }
        }
    }
    doc
}

/// The document as served, serialized once.
/// The document as JSON text, serialized once; `None` if it could not be (a bug that
/// answers 500 rather than a plausible empty document).
static DOCUMENT: LazyLock<Option<axum::body::Bytes>> =
    LazyLock::new(|| super::json::to_body(&document()).ok().map(Into::into));

/// This document.
///
/// The OpenAPI 3.1 description of both listeners. No token needed.
#[utoipa::path(get, path = "/openapi.json", tag = "admin",
    responses((status = 200, description = "The OpenAPI document", body = Object,
        content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    match DOCUMENT.as_ref() {
        Some(body) => (
            [(header::CONTENT_TYPE, super::json::CONTENT_TYPE)],
            body.clone(),
        )
            .into_response(),
        None => super::error::ApiError::Internal.into_response(),
    }
}

fn tags() -> Vec<Tag> {
    let tag = |name: &str, description: &str| {
        TagBuilder::new()
            .name(name)
            .description(Some(description))
            .build()
    };
    vec![
        tag(
            CLIENT_TAG,
            "Client listener: which version of a mini program a user gets, and health reports. \
             No authentication, except reports for an app with a report token.",
        ),
        tag(
            ADMIN_TAG,
            "Admin listener: the release workflow (bearer tokens with roles viewer < developer \
             < admin, and reviewer), Prometheus metrics and this document.",
        ),
        tag(HEALTH_TAG, "Both listeners: liveness and readiness."),
    ]
}

fn bearer() -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A token configured by its SHA-256 in `[[auth.tokens]]` with a role: viewer \
                 (read), developer (versions, create, edit, apply, withdraw), admin (developer \
                 plus complete_testing, go_live, cancel) or reviewer (read, approve, reject, \
                 target apps). On the client listener, `POST /v1/report` takes a target app's \
                 report token instead (its SHA-256 is the app's `report_token_sha256`).",
            ))
            .build(),
    )
}

/// Component responses shared by many operations: (name, status, description, has body).
const SHARED: [(&str, &str, &str, bool); 9] = [
    (
        "Unauthorized",
        "401",
        "`unauthorized`: missing or invalid bearer token",
        true,
    ),
    (
        "Forbidden",
        "403",
        "`forbidden`: the token's role may not do this",
        true,
    ),
    (
        "RevisionMismatch",
        "412",
        "`revision_mismatch`: `If-Match` is not the record's revision; nothing was changed",
        true,
    ),
    (
        "StoreUnavailable",
        "503",
        "`store_unavailable`: nothing was changed; retry later",
        true,
    ),
    (
        "MethodNotAllowed",
        "405",
        "`method_not_allowed`: the path exists, the method does not",
        true,
    ),
    (
        "RequestTimeout",
        "408",
        "`request_timeout`: the request, body upload included, outlived \
         `limits.request_timeout_seconds`",
        true,
    ),
    (
        "PayloadTooLarge",
        "413",
        "`payload_too_large`: the body is over the route's limit",
        true,
    ),
    (
        "RequestHeaderFieldsTooLarge",
        "431",
        "The request head is over `limits.max_header_bytes`; no body",
        false,
    ),
    (
        "InternalError",
        "500",
        "`internal` (a handler failed; counted in `graygate_handler_panics_total`) or \
         `store_corrupt`",
        true,
    ),
];

fn shared_responses() -> Vec<(String, RefOr<ApiResponse>)> {
    SHARED
        .iter()
        .map(|&(name, _, description, has_body)| {
            let mut response = ResponseBuilder::new().description(description);
            if has_body {
                let body = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                    .build();
                response = response.content("application/json", body);
            }
            (name.to_string(), RefOr::T(response.build()))
        })
        .collect()
}

/// Adds the responses that hold for a whole class of operations (see the module doc);
/// an operation's own description of a status, more specific, is kept.
fn add_common_responses(op: &mut Operation, read: bool) {
    use utoipa::openapi::security::SecurityRequirement;
    let security = op.security.as_deref().unwrap_or_default();
    // An empty requirement (`{}`) among them makes the token optional: `POST /v1/report`
    // needs one only for an app with a report token, and refuses nothing by role.
    let optional = security.contains(&SecurityRequirement::default());
    let secured = !security.is_empty();
    let has_body = op.request_body.is_some();
    let takes_if_match =
        (op.parameters.iter().flatten()).any(|p| matches!(p, RefOr::T(p) if p.name == IF_MATCH));
    for &(name, status, _, _) in &SHARED {
        let applies = match status {
            "401" => secured,
            "403" | "503" => secured && !optional && !read,
            "412" => takes_if_match,
            "413" => has_body,
            "408" | "431" | "500" => true,
            _ => false,
        };
        if applies {
            let reference = RefOr::Ref(Ref::new(format!("#/components/responses/{name}")));
            op.responses
                .responses
                .entry(status.to_string())
                .or_insert(reference);
        }
    }
}

const IF_MATCH: &str = "If-Match";

/// `If-Match`, on every write that offers optimistic concurrency.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // a description only: handlers read the header themselves
pub struct IfMatch {
    /// Act only if the record is still at this revision (its `ETag`), else 412.
    #[param(
        rename = "If-Match",
        nullable = false,
        pattern = "^(\\*|(W/)?\"[0-9]{1,19}\"|[0-9]{1,19})$"
    )]
    if_match: Option<String>,
}

/// An optional body (`Option<T>` in a handler's `request_body`) may be left out, but when
/// sent it is a `T`: utoipa writes `oneOf [T, null]`, which would make a `null` body valid.
fn optional_body_is_absent_not_null(op: &mut Operation) {
    use utoipa::openapi::Required;
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    let Some(RefOr::T(body)) = op.request_body.as_mut() else {
        return;
    };
    let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
    for content in body.content.values_mut() {
        let RefOr::T(content) = content else {
            continue;
        };
        let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else {
            continue;
        };
        let rest: Vec<_> = one_of
            .items
            .iter()
            .filter(|s| !is_null(s))
            .cloned()
            .collect();
        if let ([only], true) = (rest.as_slice(), rest.len() < one_of.items.len()) {
            content.schema = Some(only.clone());
            body.required = Some(Required::False);
        }
    }
}

/// Every answer that is a release carries its revision as `ETag`, for `If-Match`.
fn add_release_etag(op: &mut Operation) {
    use utoipa::openapi::header::HeaderBuilder;
    let release = format!(
        "#/components/schemas/{}",
        super::admin_api::ReleaseView::name()
    );
    for response in op.responses.responses.values_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        let is_release = response.content.values().any(|c| {
            matches!(c, RefOr::T(c) if matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == release))
        });
        if is_release {
            let etag = HeaderBuilder::new()
                .schema(Some(String::schema()))
                .description(Some(
                    "The release revision, quoted: send it back as `If-Match`",
                ))
                .build();
            response.headers.insert("ETag".into(), RefOr::T(etag));
        }
    }
}

#[cfg(test)]
mod tests;
