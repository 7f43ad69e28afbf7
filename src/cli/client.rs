//! The blocking HTTP side of `graygate release`: one `ureq` agent, the bearer token from
//! `GRAYGATE_TOKEN`, and the mapping of answers to JSON bodies or [`CliError`]s.

use std::time::Duration;

use serde_json::Value;

use super::{ApiFailure, CliError, TOKEN_VAR, unexpected};

/// A blocking admin API client for `/v1/admin/releases`, `/v1/admin/explain` and the
/// target apps' suspensions.
pub(super) struct Client {
    agent: ureq::Agent,
    /// `…/v1/admin/releases`, the base of the release commands' paths.
    base: String,
    /// `…/v1/admin`.
    admin: String,
    /// The `Authorization` header value. Never printed: `Client` has no `Debug`.
    authorization: String,
}

impl Client {
    pub(super) fn new(admin_url: &str, timeout: Duration) -> Result<Client, CliError> {
        let authorization = format!("Bearer {}", token_from(std::env::var_os(TOKEN_VAR))?);
        let base = admin_url.trim_end_matches('/');
        if !base.starts_with("http://") || base.len() == "http://".len() {
            return Err(CliError::BadUrl {
                url: admin_url.to_string(),
            });
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .user_agent(concat!("graygate-cli/", env!("CARGO_PKG_VERSION")))
            .build();
        let admin = format!("{base}/v1/admin");
        Ok(Client {
            agent: config.into(),
            base: format!("{admin}/releases"),
            admin,
            authorization,
        })
    }

    pub(super) fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, CliError> {
        let url = format!("{}{path}", self.base);
        self.fetch(&url, query.iter().map(|(k, v)| (*k, v.as_str())))
    }

    /// `GET /v1/admin/explain` with its query (`app`, …, `attr.NAME`).
    pub(super) fn explain(&self, query: &[(String, String)]) -> Result<Value, CliError> {
        let url = format!("{}/explain", self.admin);
        self.fetch(&url, query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// A `GET` of `…/v1/admin{path}`.
    pub(super) fn admin_get(&self, path: &str) -> Result<Value, CliError> {
        let url = format!("{}{path}", self.admin);
        self.fetch(&url, std::iter::empty())
    }

    /// A write to `…/v1/admin{path}`.
    pub(super) fn admin_write(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, CliError> {
        self.send(method, &format!("{}{path}", self.admin), body, None)
    }

    /// A `GET` of `url` with the query's pairs, each percent-encoded.
    fn fetch<'q>(
        &self,
        url: &str,
        query: impl Iterator<Item = (&'q str, &'q str)>,
    ) -> Result<Value, CliError> {
        let request = self.agent.get(url).query_pairs(query);
        let response = request
            .header("authorization", &self.authorization)
            .header("accept", "application/json")
            .call();
        finish(url, response)
    }

    /// A write: `POST` an action, `PUT` or `DELETE` a sub-resource, with `If-Match` when
    /// given. Answers the release as it is after the write.
    pub(super) fn write(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<u64>,
    ) -> Result<Value, CliError> {
        self.send(method, &format!("{}{path}", self.base), body, if_match)
    }

    fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        if_match: Option<u64>,
    ) -> Result<Value, CliError> {
        let send = |request: ureq::RequestBuilder<ureq::typestate::WithBody>| {
            let request = self.headers(request, if_match);
            match body {
                Some(body) => request.send_json(body),
                None => request.send_empty(),
            }
        };
        let response = match method {
            Method::Post => send(self.agent.post(url)),
            Method::Put => send(self.agent.put(url)),
            Method::Delete => self.headers(self.agent.delete(url), if_match).call(),
        };
        finish(url, response)
    }

    fn headers<B>(
        &self,
        request: ureq::RequestBuilder<B>,
        if_match: Option<u64>,
    ) -> ureq::RequestBuilder<B> {
        let request = request
            .header("authorization", &self.authorization)
            .header("accept", "application/json");
        match if_match {
            Some(revision) => request.header("if-match", format!("\"{revision}\"")),
            None => request,
        }
    }
}

/// The HTTP method of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Post,
    Put,
    Delete,
}

/// The token from `GRAYGATE_TOKEN`, refused before any request when unusable.
fn token_from(raw: Option<std::ffi::OsString>) -> Result<String, CliError> {
    let raw = raw.ok_or(CliError::MissingToken)?;
    let token = raw
        .into_string()
        .map_err(|_| CliError::BadToken("is not valid UTF-8"))?;
    let token = token.trim();
    if token.is_empty() {
        return Err(CliError::BadToken("is empty"));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CliError::BadToken(
            "holds characters a bearer token cannot have (spaces, control or non-ASCII)",
        ));
    }
    Ok(token.to_string())
}

/// The JSON body of a 2xx answer, or the API error it carries.
fn finish(
    url: &str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Value, CliError> {
    let transport = |source| CliError::Transport {
        url: url.to_string(),
        source,
    };
    let mut response = response.map_err(transport)?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().map_err(transport)?;
    let body: Option<Value> = serde_json::from_str(&text).ok();
    match body {
        Some(body) if (200..300).contains(&status) => Ok(body),
        Some(body) => Err(api_failure(status, body)
            .map(CliError::Api)
            .unwrap_or_else(|| unexpected(status, snippet(&text)))),
        None => Err(unexpected(status, snippet(&text))),
    }
}

fn api_failure(status: u16, body: Value) -> Option<ApiFailure> {
    let Value::Object(mut error) = body.get("error")?.clone() else {
        return None;
    };
    let mut take = |key: &str| match error.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let (code, message) = (take("code")?, take("message").unwrap_or_default());
    Some(ApiFailure {
        status,
        code,
        message,
        details: error,
    })
}

/// The start of a body that is not the API's JSON, for the error message.
fn snippet(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None if text.is_empty() => "(empty)".into(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::ffi::OsString;

    #[test]
    fn the_token_must_be_set_and_usable_in_a_header() {
        assert!(matches!(token_from(None), Err(CliError::MissingToken)));
        assert!(matches!(
            token_from(Some(OsString::from("  "))),
            Err(CliError::BadToken(_))
        ));
        let bad = token_from(Some(OsString::from("secret\nX-Injected: 1")));
        let message = bad.map(|_| ()).unwrap_err().to_string();
        assert!(!message.contains("secret"), "{message}");
        assert_eq!(
            token_from(Some(OsString::from("tok-1\n"))).ok(),
            Some("tok-1".into())
        );
    }

    #[test]
    fn api_errors_keep_code_message_and_details() {
        let body = json!({"error": {"code": "action_not_allowed", "message": "refused",
            "status": "full_release", "allowed_actions": []}});
        let failure = api_failure(409, body).expect("an API error");
        assert_eq!(
            (failure.code.as_str(), failure.message.as_str()),
            ("action_not_allowed", "refused")
        );
        assert_eq!(failure.details.len(), 2);
        assert!(api_failure(500, json!({"oops": 1})).is_none());
        assert!(api_failure(500, json!({"error": "text"})).is_none());
    }

    #[test]
    fn non_json_bodies_are_cut_short_in_errors() {
        assert_eq!(snippet("  "), "(empty)");
        assert_eq!(snippet(&"x".repeat(300)).chars().count(), 201);
    }
}
