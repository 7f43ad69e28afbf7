//! A small blocking HTTP client on `ureq` for talking to a [`Gateway`]: every status
//! (4xx and 5xx included) comes back as a [`Reply`] with its headers and JSON body.

use serde_json::Value;
use ureq::http::HeaderMap;

use super::{Gateway, Who};

/// A URL query string with every value percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A request being built; [`Call::send`] performs it.
pub struct Call<'g> {
    gateway: &'g Gateway,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl<'g> Call<'g> {
    pub(crate) fn new(gateway: &'g Gateway, method: &str, url: String) -> Self {
        Call {
            gateway,
            method: method.to_string(),
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Authenticates as `who`.
    pub fn by(self, who: Who) -> Self {
        self.bearer(&who.token())
    }

    /// Sends `Authorization: Bearer <token>` with any token, valid or not.
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// `If-Match` with a revision, as the admin API's `ETag` spells it.
    pub fn if_match(self, revision: u64) -> Self {
        self.header("if-match", &format!("\"{revision}\""))
    }

    /// A JSON body with its content type.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    /// A raw body, sent as is (for malformed JSON and the like).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Performs the request. Any status is a [`Reply`]; transport failures panic with
    /// the gateway's stderr.
    #[track_caller]
    pub fn send(self) -> Reply {
        let gateway = self.gateway;
        self.try_send().unwrap_or_else(|e| gateway.fail(&e))
    }

    /// Performs the request; a transport failure (the gateway was killed, say) is an
    /// `Err` naming the request instead of a panic.
    pub fn try_send(self) -> Result<Reply, String> {
        let mut request = ureq::http::Request::builder()
            .method(self.method.as_str())
            .uri(&self.url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let agent = self.gateway.agent();
        let result = match self.body {
            Some(body) => request.body(body).map(|r| agent.run(r)),
            None => request.body(()).map(|r| agent.run(r)),
        };
        let what = format!("{} {}", self.method, self.url);
        let mut response = match result {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Err(format!("{what} failed: {e}")),
            Err(e) => return Err(format!("{what} is not a valid request: {e}")),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| format!("{what}: reading the body: {e}"))?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Ok(Reply {
            what,
            status,
            headers,
            text,
            body,
        })
    }
}

/// A response: status, headers, the body as text and as JSON (`Null` when empty, a
/// JSON string holding the text when it is not JSON).
#[derive(Debug, Clone)]
pub struct Reply {
    /// `METHOD URL`, for failure messages.
    pub what: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the reply is served as JSON (`application/json`, any parameters).
    pub fn is_json(&self) -> bool {
        self.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    }

    /// `error.code` of a JSON error body, or `""`.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the status, showing the request and body otherwise; returns the reply.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status, status,
            "{}: expected {status}, got {}: {}",
            self.what, self.status, self.text
        );
        self
    }

    /// Asserts an error reply: the status, a JSON content type and
    /// `{"error":{"code":code,"message":…}}`; returns the reply.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Reply {
        let reply = self.expect(status);
        assert_eq!(
            reply.error_code(),
            code,
            "{}: error code in {}",
            reply.what,
            reply.text
        );
        assert!(
            reply.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}: error without a message: {}",
            reply.what,
            reply.text
        );
        assert!(
            reply.is_json(),
            "{}: error is not served as JSON: {:?}",
            reply.what,
            reply.header("content-type")
        );
        reply
    }
}
