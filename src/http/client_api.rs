//! Client API (SPEC §4): `GET /v1/resolve`, `POST /v1/resolve`. Each request loads the
//! current snapshot once and answers from its precomputed JSON fragments; nothing here
//! touches the control plane or the store, and [`ClientState`] gives it nothing of them.

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Body as HttpBody;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::attributes::{AttributeBuf, BodyAttributes};
use super::body::Body;
use super::error::{ClientError, ErrorBody, RequestError};
use crate::health::Health;
use crate::metrics::Metrics;
use crate::model::{
    AppId, Channel, Env, InvalidValue, MiniProgramId, ReleaseConfig, ReleaseId, UserId,
    check_ident, check_user_id,
};
use std::time::Instant;

use crate::snapshot::{Served, Snapshot, SnapshotCell, Subject};

/// What client handlers may see: the snapshot and health, nothing of the control plane.
#[derive(Clone)]
pub struct ClientState {
    pub snapshot: Arc<SnapshotCell>,
    pub health: Arc<Health>,
    pub max_batch: usize,
    pub metrics: Metrics,
}

/// What a resolve answers for one mini program (written from the snapshot's precomputed
/// fragments, so this type only describes it).
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only
pub struct Resolved {
    mini_program: MiniProgramId,
    #[schema(value_type = crate::model::Version)]
    version: String,
    /// Which rule of SPEC §3 picked the version: `pilot`, `grayscale`, then `full`.
    channel: Channel,
    #[schema(value_type = u64)]
    release_id: ReleaseId,
    package_url: String,
    config: ReleaseConfig,
    /// The revision of the snapshot that answered.
    revision: u64,
}

/// What a batch resolve answers: `{"revision":N,"results":{"mp-a":{…},"mp-b":null}}`.
pub struct BatchResolved;

impl utoipa::PartialSchema for BatchResolved {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Ref, Schema, Type};
        let entry = OneOfBuilder::new()
            .item(Ref::from_schema_name("Resolved"))
            .item(ObjectBuilder::new().schema_type(Type::Null));
        let results = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Keyed by mini program id: what it resolves to, or null when nothing serves \
                 the user.",
            ))
            .additional_properties(Some(Schema::OneOf(entry.build())));
        ObjectBuilder::new()
            .property("revision", u64::schema())
            .required("revision")
            .property("results", results)
            .required("results")
            .into()
    }
}

impl ToSchema for BatchResolved {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((Resolved::name().into(), Resolved::schema()));
        <Resolved as ToSchema>::schemas(schemas);
    }
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// A validated resolve request; borrowed from the query string when it has no escapes.
struct Params<'a> {
    app: Cow<'a, str>,
    env: Env,
    mini_program: Cow<'a, str>,
    user: Cow<'a, str>,
    attributes: AttributeBuf<'a>,
}

fn parse_params(query: &str) -> Result<Params<'_>, ClientError> {
    let (mut app, mut env, mut mp, mut user) = (None, None, None, None);
    let mut attributes = AttributeBuf::default();
    for pair in super::query::pairs(query) {
        let (key, value) = pair?;
        let Some(value) = attributes.take(&key, value)? else {
            continue;
        };
        let slot = match &*key {
            "app" => &mut app,
            "env" => &mut env,
            "mini_program" => &mut mp,
            "user" => &mut user,
            other => {
                let msg = format!("unknown query parameter {other:?}");
                return Err(RequestError::BadRequest(msg).into());
            }
        };
        if slot.replace(value).is_some() {
            let msg = format!("query parameter {key:?} given twice");
            return Err(RequestError::BadRequest(msg).into());
        }
    }
    let missing = |name: &str| {
        ClientError::from(RequestError::BadRequest(format!(
            "query parameter {name:?} is required"
        )))
    };
    let app = app.ok_or_else(|| missing("app"))?;
    let env = env.ok_or_else(|| missing("env"))?;
    let mini_program = mp.ok_or_else(|| missing("mini_program"))?;
    let user = user.ok_or_else(|| missing("user"))?;
    check_ident("app", &app)?;
    check_ident("mini_program", &mini_program)?;
    check_user_id(&user)?;
    Ok(Params {
        app,
        env: env.parse()?,
        mini_program,
        user,
        attributes,
    })
}

fn etag(snapshot: &Snapshot) -> HeaderValue {
    // Shares the snapshot's bytes: no allocation per answer.
    HeaderValue::from_maybe_shared(snapshot.etag().clone())
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

fn json_response(status: StatusCode, body: Vec<u8>, etag: HeaderValue) -> Response {
    let mut response = Response::new(HttpBody::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, JSON);
    headers.insert(header::CACHE_CONTROL, NO_CACHE);
    headers.insert(header::ETAG, etag);
    response
}

/// Appends `,"revision":N}` to a fragment.
fn close_fragment(out: &mut Vec<u8>, fragment: &[u8], revision: &[u8]) {
    out.extend_from_slice(fragment);
    out.extend_from_slice(b",\"revision\":");
    out.extend_from_slice(revision);
    out.push(b'}');
}

/// Resolve which version of a mini program a user gets.
///
/// SPEC §3 in order: the in-flight release's pilot test group, then its grayscale bucket,
/// then the full release. 404 `not_released` when nothing serves the user, 404
/// `suspended` when the super app suspended the mini program in this app (SPEC §11).
#[utoipa::path(get, path = "/v1/resolve", tag = "client",
    params(
        ("app" = AppId, Query, description = "The target app", example = json!("superapp-a")),
        ("env" = Env, Query, description = "The environment", example = json!("production")),
        ("mini_program" = MiniProgramId, Query, description = "The mini program", example = json!("mp-coupons")),
        ("user" = UserId, Query, description = "The end user, hashed byte for byte", example = json!("qa-1")),
        ("attr.os" = Option<String>, Query, nullable = false, description = "A client attribute for targeting (SPEC §10). Any `attr.<name>` with a name `^[a-z][a-z0-9_]{0,31}$` is taken, at most 16, each once, values 1–256 bytes without control characters; usual names: `os`, `os_version`, `app_version`, `region`, `language`, `device_model`", example = json!("android")),
        ("If-None-Match" = Option<String>, Header, nullable = false, description = "An `ETag` from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The version to load", body = Resolved,
            headers(("ETag" = String, description = "The served revision, quoted: send it as `If-None-Match`"))),
        (status = 304, description = "`If-None-Match` holds the current revision",
            headers(("ETag" = String, description = "The served revision, quoted: send it as `If-None-Match`"))),
        (status = 400, description = "`invalid_parameter`, `bad_request` (missing, repeated or unknown parameter, not UTF-8)", body = ErrorBody),
        (status = 404, description = "`not_released`: nothing serves this user; `suspended`: the super app suspended the mini program in this app, in every environment", body = ErrorBody),
    ))]
pub async fn resolve(State(s): State<ClientState>, req: Request) -> Response {
    resolve_now(&s, req.uri(), req.headers())
}

/// The whole single resolve, synchronous: the client listener calls it straight from
/// its connection service (see `http::ClientService`), and the route above for callers
/// that go through the router.
pub fn resolve_now(s: &ClientState, uri: &Uri, headers: &HeaderMap) -> Response {
    let started = Instant::now();
    let snapshot = s.snapshot.load();
    let response = match resolve_one(&snapshot, uri, headers) {
        Ok(response) => response,
        Err(e) => e.into_response(),
    };
    s.metrics
        .resolve
        .duration
        .observe(started.elapsed().as_secs_f64());
    response
}

fn resolve_one(
    snapshot: &Snapshot,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, ClientError> {
    let p = parse_params(uri.query().unwrap_or(""))
        .inspect_err(|_| snapshot.error_counters().error.inc())?;
    let served = p.attributes.with(|attributes| {
        let subject = Subject {
            user: &p.user,
            attributes,
        };
        snapshot.resolve(&p.app, p.env, &p.mini_program, &subject)
    });
    let Some(served) = served else {
        snapshot.miss_counters(&p.app, p.env).none.inc();
        // Only a miss asks: suspended routes serve nobody in the table itself.
        if snapshot.is_suspended(&p.app, &p.mini_program) {
            return Err(ClientError::Suspended);
        }
        return Err(ClientError::NotReleased);
    };
    served.counters.inc();
    let tag = etag(snapshot);
    let unchanged = headers.get(header::IF_NONE_MATCH);
    if unchanged
        .is_some_and(|v| super::query::none_match(v.as_bytes(), tag.to_str().unwrap_or_default()))
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, tag);
        return Ok(response);
    }
    Ok(json_response(
        StatusCode::OK,
        answer_body(snapshot, served),
        tag,
    ))
}

/// The body of a single resolve: the served fragment closed with the snapshot's
/// revision, and the newline every JSON answer ends with.
pub fn answer_body(snapshot: &Snapshot, served: &Served) -> Vec<u8> {
    let mut body = Vec::with_capacity(served.fragment.len() + 32);
    close_fragment(&mut body, &served.fragment, snapshot.revision_text());
    body.push(b'\n');
    body
}

/// A batch resolve: one user, several mini programs of one release target.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"app": "superapp-a", "env": "production", "user": "qa-1",
    "mini_programs": ["mp-coupons", "mp-maps"]}))]
pub struct BatchRequest {
    #[schema(value_type = AppId)]
    app: String,
    #[schema(value_type = Env)]
    env: String,
    #[schema(value_type = UserId)]
    user: String,
    /// At most `limits.max_batch` (1,000 by default); omit it for every mini program
    /// released to the target. Duplicates are answered once.
    #[serde(default)]
    #[schema(value_type = Option<Vec<MiniProgramId>>)]
    mini_programs: Option<Vec<String>>,
    /// Client attributes for targeting (SPEC §10): at most 16 names
    /// `^[a-z][a-z0-9_]{0,31}$`, each once, string values of 1–256 bytes.
    #[serde(default)]
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>)]
    attributes: BodyAttributes,
}

/// Resolve several mini programs for one user.
///
/// Omit `mini_programs` to get every mini program released to the target. A mini program
/// the super app suspended answers `null`, also when `mini_programs` is omitted.
#[utoipa::path(post, path = "/v1/resolve", tag = "client",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "One answer per mini program", body = BatchResolved,
            headers(("ETag" = String, description = "The served revision, quoted"))),
        (status = 400, description = "`invalid_parameter`, `invalid_body`", body = ErrorBody),
    ))]
pub async fn resolve_batch(State(s): State<ClientState>, body: Body<BatchRequest>) -> Response {
    let started = Instant::now();
    let snapshot = s.snapshot.load();
    let response = match batch(&snapshot, s.max_batch, &body) {
        Ok(response) => response,
        Err(e) => {
            snapshot.error_counters().error.inc();
            e.into_response()
        }
    };
    s.metrics
        .resolve
        .duration
        .observe(started.elapsed().as_secs_f64());
    response
}

fn batch(
    snapshot: &Snapshot,
    max_batch: usize,
    body: &Body<BatchRequest>,
) -> Result<Response, ClientError> {
    let b = body.parse()?;
    check_ident("app", &b.app)?;
    let env: Env = b.env.parse()?;
    check_user_id(&b.user)?;
    if let Some(list) = &b.mini_programs {
        if list.len() > max_batch {
            let msg = format!("at most {max_batch} mini programs per batch");
            return Err(InvalidValue::new("mini_programs", msg).into());
        }
        for mp in list {
            check_ident("mini_program", mp)?;
        }
    }
    let attributes = b.attributes.validated()?;
    let body = attributes.with(|attributes| {
        let subject = Subject {
            user: &b.user,
            attributes,
        };
        batch_body(snapshot, &b.app, env, &subject, b.mini_programs.as_deref())
    });
    Ok(json_response(StatusCode::OK, body, etag(snapshot)))
}

/// The body of a batch resolve, counting each answer; `None` means every mini program of
/// the target. Ids must be validated already (they are written out unescaped).
pub fn batch_body(
    snapshot: &Snapshot,
    app: &str,
    env: Env,
    subject: &Subject<'_>,
    mini_programs: Option<&[String]>,
) -> Vec<u8> {
    let rev = snapshot.revision_text();
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"revision\":");
    out.extend_from_slice(rev);
    out.extend_from_slice(b",\"results\":{");
    let misses = snapshot.miss_counters(app, env);
    let mut first = true;
    let mut entry = |out: &mut Vec<u8>, mp: &str, served: Option<&Served>| {
        if !first {
            out.push(b',');
        }
        first = false;
        // Mini program ids are [A-Za-z0-9._-]: nothing to escape.
        out.push(b'"');
        out.extend_from_slice(mp.as_bytes());
        out.extend_from_slice(b"\":");
        match served {
            Some(served) => {
                served.counters.inc();
                close_fragment(out, &served.fragment, rev);
            }
            None => {
                misses.none.inc();
                out.extend_from_slice(b"null");
            }
        }
    };
    match mini_programs {
        Some(list) => {
            let mut seen = std::collections::HashSet::with_capacity(list.len());
            for mp in list.iter().filter(|mp| seen.insert(mp.as_str())) {
                entry(&mut out, mp, snapshot.resolve(app, env, mp, subject));
            }
        }
        None => {
            for (mp, route) in snapshot.target(app, env).into_iter().flatten() {
                entry(&mut out, mp, route.resolve(subject));
            }
        }
    }
    out.extend_from_slice(b"}}\n");
    out
}
