//! A GraphQL client over HTTP (blocking reqwest), the answers it gets, and
//! the checks every error answer must pass.

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use serde_json::{Value, json};

/// The codes an error may carry: the contract's `ErrorCode`s and the ones
/// the server adds (errors.rs, server/mod.rs).
pub const KNOWN_CODES: &[&str] = &[
    "INVALID_INPUT",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "CONCURRENCY_CONFLICT",
    "IDEMPOTENCY_MISMATCH",
    "CURRENCY_MISMATCH",
    "OVERSHIPMENT",
    "ORDER_NOT_RELEASED",
    "LOT_EXPIRED",
    "LOT_RECALLED",
    "UDI_INVALID",
    "UDI_MISMATCH",
    "DOUBLE_BILLING",
    "OVERALLOCATION",
    "OVER_CREDIT",
    "INVALID_STATE",
    "PROJECTION_LAG",
    "RATE_LIMITED",
    "UNAVAILABLE",
    "TIMEOUT",
];

/// What a message for people must not hold: file paths, Rust paths and
/// type names, panic and backtrace text.
static LEAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(\.rs\b|/src/|/home/|/tmp/|/work/|\.cargo|",
        r"\w+::\w+|\b(Some|Ok|Err)\(|\b(Vec|Option|Result|Box|Arc|HashMap)<|",
        r"panick|unwrap|RUST_BACKTRACE|stack backtrace)"
    ))
    .expect("the leak pattern")
});

/// A GraphQL client of one server.
pub struct Api {
    client: reqwest::blocking::Client,
    url: String,
}

/// An HTTP answer: its status and its body (JSON, or the text as a string).
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Value,
}

impl Api {
    /// A client of the server at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Api {
        Api::with_timeout(base, Duration::from_secs(60))
    }

    /// A client that gives up on an answer after `timeout`.
    pub fn with_timeout(base: &str, timeout: Duration) -> Api {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .expect("an HTTP client");
        Api {
            client,
            url: format!("{base}/graphql"),
        }
    }

    /// POSTs `query` with `variables` as `token` (none: no header).
    pub fn post(&self, token: Option<&str>, query: &str, variables: Value) -> Reply {
        let body = json!({ "query": query, "variables": variables });
        self.send(token, serde_json::to_vec(&body).expect("a JSON body"))
    }

    /// `post` with a token and no variables.
    pub fn query(&self, token: &str, query: &str) -> Reply {
        self.post(Some(token), query, json!({}))
    }

    /// POSTs raw bytes as a JSON body.
    pub fn send(&self, token: Option<&str>, body: Vec<u8>) -> Reply {
        self.try_send(token, body).expect("the server answers")
    }

    /// POSTs raw bytes as a chunked body (no Content-Length to refuse it
    /// by), or the transport error.
    pub fn try_send_chunked(&self, token: Option<&str>, body: Vec<u8>) -> reqwest::Result<Reply> {
        let body = reqwest::blocking::Body::new(std::io::Cursor::new(body));
        self.try_send(token, body)
    }

    /// As [`Api::send`], or the transport error (a server that died).
    pub fn try_send(
        &self,
        token: Option<&str>,
        body: impl Into<reqwest::blocking::Body>,
    ) -> reqwest::Result<Reply> {
        let mut request = self
            .client
            .post(&self.url)
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send()?;
        let status = response.status().as_u16();
        let text = response.text()?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Reply { status, body })
    }

    /// The head position.
    pub fn head(&self, token: &str) -> u64 {
        let reply = self.query(token, "{ ledgerHead { position } }");
        position(&reply.data()["ledgerHead"]["position"])
    }
}

/// A `Position` (a u64 as a string).
pub fn position(value: &Value) -> u64 {
    (value.as_str())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{value} is not a Position"))
}

impl Reply {
    /// The errors (none when the request succeeded).
    pub fn errors(&self) -> Vec<Value> {
        (self.body.get("errors").and_then(Value::as_array))
            .cloned()
            .unwrap_or_default()
    }

    /// `data`, failing the test when there were errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.status == 200 && self.errors().is_empty(),
            "expected an answer, got HTTP {} {}",
            self.status,
            self.body
        );
        &self.body["data"]
    }

    /// The one field a mutation (or single query) answered.
    pub fn field(&self) -> &Value {
        let data = self.data().as_object().expect("data is an object");
        assert_eq!(data.len(), 1, "one field in {data:?}");
        data.values().next().expect("a field")
    }

    /// A command's position.
    pub fn position(&self) -> u64 {
        position(&self.field()["position"])
    }

    /// The first error's `extensions.code`, after checking every error
    /// is fit to show (see [`assert_clean_error`]); `None` when none.
    pub fn code(&self) -> Option<String> {
        let errors = self.errors();
        errors.iter().for_each(assert_clean_error);
        errors.first().map(|e| {
            e["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
    }

    /// Fails unless the request was refused with `code`.
    pub fn assert_code(&self, code: &str) {
        assert_eq!(
            self.code().as_deref(),
            Some(code),
            "expected {code}, got HTTP {} {}",
            self.status,
            self.body
        );
    }
}

/// An error must carry a known `extensions.code` and a message for people:
/// no file path, Rust type or path, or panic text.
pub fn assert_clean_error(error: &Value) {
    let code = error["extensions"]["code"].as_str();
    assert!(
        code.is_some_and(|c| KNOWN_CODES.contains(&c)),
        "error without a known extensions.code: {error}"
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        !message.trim().is_empty(),
        "error without a message: {error}"
    );
    assert!(
        !LEAK.is_match(message),
        "the message shows internals ({:?}): {message}",
        LEAK.find(message).map(|m| m.as_str())
    );
}

/// Whether the server closed the connection while the request body was
/// still being sent: it refused the request without reading all of it
/// (as it may a body over its limit, before the client sees its answer).
pub fn closed_while_sending(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::{BrokenPipe, ConnectionReset};
            return matches!(io.kind(), BrokenPipe | ConnectionReset);
        }
        source = e.source();
    }
    false
}
