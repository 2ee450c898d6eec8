//! The Ignite platform SDK for compiled Rust handlers (seed 003, "Compile for fast cold
//! starts"), as the local Ignite injects it into every Rust build. It owns the runtime side
//! — reading requests from the pod agent, running the handler, answering — so an app is just
//!
//! ```ignore
//! use ignite::prelude::*;
//! use serde_json::json;
//!
//! #[ignite::main]
//! async fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse> {
//!     let message: String = req.field("message").unwrap_or_else(|_| "Hello from Rust!".to_string());
//!     Ok(json!({ "message": message, "execution_id": ctx.execution_id() }))
//! }
//! ```
//!
//! Stdout carries the runtime's framing: log with `eprintln!()`, not `println!()`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub mod frame;
mod worker;

pub use ignite_macros::main;

/// What a handler file imports: `use ignite::prelude::*;`.
pub mod prelude {
    pub use crate::{Context, Error, IntoResponse, Json, Request, Response, Result};
}

// ---- errors ---------------------------------------------------------------------------------

/// The error of a handler: any `std::error::Error` converts into it, so `?` works on serde,
/// I/O and parse errors; [`Error::msg`] makes one from a message. Returning `Err` answers
/// HTTP 500 with `{"error": "<message>", "execution_id": "..."}`.
pub struct Error {
    inner: Box<dyn std::error::Error + Send + Sync + 'static>,
}

/// `Result<T, ignite::Error>`, the return type of a handler.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error carrying just a message.
    pub fn msg<M: fmt::Display + fmt::Debug + Send + Sync + 'static>(message: M) -> Self {
        Error { inner: Box::new(Message(message)) }
    }

    /// Wraps an error.
    pub fn new<E: std::error::Error + Send + Sync + 'static>(error: E) -> Self {
        Error { inner: Box::new(error) }
    }

    /// The wrapped error, for downcasting.
    pub fn source_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.inner
    }
}

// Like anyhow::Error, Error is not itself a std::error::Error: that is what lets every
// std::error::Error convert into it with `?`.
impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Self {
        Error::new(error)
    }
}

impl fmt::Display for Error {
    /// The message; with `{:#}`, the message and its causes joined by ": ".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)?;
        if f.alternate() {
            let mut cause = self.inner.source();
            while let Some(c) = cause {
                write!(f, ": {c}")?;
                cause = c.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:#}")
    }
}

struct Message<M>(M);

impl<M: fmt::Display> fmt::Display for Message<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<M: fmt::Debug> fmt::Debug for Message<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<M: fmt::Display + fmt::Debug> std::error::Error for Message<M> {}

// ---- the request ------------------------------------------------------------------------------

/// The request: typed access to the JSON body, and the raw bytes.
pub struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
    parsed: OnceLock<std::result::Result<Value, String>>,
}

impl Request {
    /// A request as the worker builds it (public for tests of handlers).
    pub fn new(method: impl Into<String>, path: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        Request { method: method.into(), path: path.into(), body: body.into(), parsed: OnceLock::new() }
    }

    /// One top-level field of the JSON body, deserialized: `req.field::<String>("message")?`.
    /// Fails when the body is not a JSON object, the field is missing, or it has another type.
    pub fn field<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let value = self.json()?;
        let object = value
            .as_object()
            .ok_or_else(|| Error::msg(format!("the request body is not a JSON object, so it has no field `{key}`")))?;
        let field = object.get(key).ok_or_else(|| Error::msg(format!("missing field `{key}` in the request body")))?;
        T::deserialize(field).map_err(|e| Error::msg(format!("field `{key}` of the request body: {e}")))
    }

    /// The whole JSON body, deserialized: `req.body::<MyInput>()?`.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_slice(&self.body)?)
    }

    /// The body exactly as received.
    pub fn raw(&self) -> &[u8] {
        &self.body
    }

    /// The HTTP method ("POST" for Invoke).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request path with its query string ("/" for Invoke).
    pub fn path(&self) -> &str {
        &self.path
    }

    fn json(&self) -> Result<&Value> {
        match self.parsed.get_or_init(|| serde_json::from_slice(&self.body).map_err(|e| e.to_string())) {
            Ok(v) => Ok(v),
            Err(e) => Err(Error::msg(format!("the request body is not JSON: {e}"))),
        }
    }
}

// ---- the context ------------------------------------------------------------------------------

/// Execution metadata of one request.
#[derive(Clone)]
pub struct Context {
    execution_id: String,
    app: Arc<AppInfo>,
}

struct AppInfo {
    function_id: String,
    organization_id: String,
    env: HashMap<String, String>,
}

impl Context {
    /// A context as the worker builds it (public for tests of handlers).
    pub fn new(execution_id: impl Into<String>, function_id: impl Into<String>, organization_id: impl Into<String>, env: HashMap<String, String>) -> Self {
        Context {
            execution_id: execution_id.into(),
            app: Arc::new(AppInfo { function_id: function_id.into(), organization_id: organization_id.into(), env }),
        }
    }

    fn for_request(execution_id: String, app: &Arc<AppInfo>) -> Self {
        Context { execution_id, app: Arc::clone(app) }
    }

    /// This request's execution id ("exec_…").
    pub fn execution_id(&self) -> &str {
        &self.execution_id
    }

    /// The app, as `<org>/<name>` ("acme-corp/tiny").
    pub fn function_id(&self) -> &str {
        &self.app.function_id
    }

    /// The id of the app's organization: a UUID, as the platform gives it (IGNITE_ORGANIZATION_ID), not its name.
    pub fn organization_id(&self) -> &str {
        &self.app.organization_id
    }

    /// The app's environment (its `env` map and what the platform sets), read at start.
    pub fn env(&self) -> &HashMap<String, String> {
        &self.app.env
    }
}

// ---- the response -----------------------------------------------------------------------------

pub const CONTENT_TYPE_JSON: &str = "application/json";
pub const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";
pub const CONTENT_TYPE_BYTES: &str = "application/octet-stream";

/// A whole response: status (200 unless set), content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    status: u16,
    content_type: String,
    body: Vec<u8>,
    /// Set when the value could not be encoded; the worker answers 500 with it.
    encode_error: Option<String>,
}

impl Response {
    /// UTF-8 text, `text/plain; charset=utf-8`.
    pub fn text(text: impl Into<String>) -> Self {
        Response::with(CONTENT_TYPE_TEXT, text.into().into_bytes())
    }

    /// A value JSON-encoded, `application/json`. A value that cannot be encoded (a map with
    /// non-string keys, say) answers 500.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Response::with(CONTENT_TYPE_JSON, body),
            Err(e) => Response { encode_error: Some(format!("the handler's result cannot be encoded as JSON: {e}")), ..Response::with(CONTENT_TYPE_JSON, Vec::new()) },
        }
    }

    /// Bytes verbatim, `application/octet-stream`.
    pub fn bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Response::with(CONTENT_TYPE_BYTES, bytes.into())
    }

    /// The same response with another HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// The same response with another content type.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    fn with(content_type: &str, body: Vec<u8>) -> Self {
        Response { status: 200, content_type: content_type.to_string(), body, encode_error: None }
    }

    /// An error answer: 500 with `{"error": ..., "execution_id": ...}`.
    pub(crate) fn error(message: &str, execution_id: &str) -> Self {
        let body = serde_json::to_vec(&serde_json::json!({ "error": message, "execution_id": execution_id })).unwrap_or_default();
        Response::with(CONTENT_TYPE_JSON, body).with_status(500)
    }

    /// The frame payload of this response for `execution_id`.
    pub(crate) fn into_answer(self, execution_id: &str) -> Vec<u8> {
        let r = match &self.encode_error {
            Some(message) => Response::error(message, execution_id),
            None => self,
        };
        frame::encode_answer(r.status, &r.content_type, &r.body)
    }
}

/// What a handler may return: a `serde_json::Value` (JSON), a [`Response`], text (`String`,
/// `&'static str`), bytes (`Vec<u8>`, `&'static [u8]`), [`Json`] of any `Serialize`, or `()` (JSON `null`).
pub trait IntoResponse {
    fn into_response(self) -> Response;
}

impl IntoResponse for Response {
    fn into_response(self) -> Response {
        self
    }
}

impl IntoResponse for Value {
    fn into_response(self) -> Response {
        Response::json(&self)
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        Response::text(self)
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        Response::bytes(self)
    }
}

impl IntoResponse for &'static [u8] {
    fn into_response(self) -> Response {
        Response::bytes(self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::json(&Value::Null)
    }
}

/// Any `Serialize` value as a JSON response: `Ok(Json(my_struct))`.
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        Response::json(&self.0)
    }
}

/// What `#[ignite::main]` expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::worker::run;

    /// The handler's result as a response, or its error's message.
    pub fn into_response<R: crate::IntoResponse, E: std::fmt::Display>(result: std::result::Result<R, E>) -> std::result::Result<crate::Response, String> {
        result.map(crate::IntoResponse::into_response).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn req(body: &str) -> Request {
        Request::new("POST", "/", body.as_bytes().to_vec())
    }

    #[test]
    fn field_reads_one_typed_field_of_the_json_body() {
        let r = req(r#"{"message": "hi", "n": 3}"#);
        assert_eq!(r.field::<String>("message").unwrap(), "hi");
        assert_eq!(r.field::<u32>("n").unwrap(), 3);
        assert_eq!(r.field::<String>("missing").unwrap_err().to_string(), "missing field `missing` in the request body");
        assert!(r.field::<String>("n").unwrap_err().to_string().starts_with("field `n` of the request body: invalid type"));
    }

    #[test]
    fn field_on_a_body_that_is_no_json_object_fails_and_the_seed_fallback_applies() {
        assert!(req("").field::<String>("message").unwrap_err().to_string().starts_with("the request body is not JSON"));
        assert!(req("[1]").field::<String>("message").unwrap_err().to_string().contains("not a JSON object"));
        let message: String = req("").field("message").unwrap_or_else(|_| "Hello from Rust!".to_string());
        assert_eq!(message, "Hello from Rust!");
    }

    #[test]
    fn body_deserializes_the_whole_body_and_raw_is_verbatim() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct In {
            rows: Vec<(String, u8)>,
        }
        let r = req(r#"{"rows": [["ada", 1]]}"#);
        assert_eq!(r.body::<In>().unwrap(), In { rows: vec![("ada".into(), 1)] });
        assert_eq!(r.raw(), br#"{"rows": [["ada", 1]]}"#);
        assert!(req("nope").body::<In>().is_err());
    }

    #[test]
    fn values_become_json_text_or_bytes_responses() {
        let j = serde_json::json!({"a": 1}).into_response();
        assert_eq!((j.status(), j.content_type(), j.body()), (200, "application/json", &br#"{"a":1}"#[..]));
        let t = Response::text("héllo");
        assert_eq!((t.content_type(), t.body()), ("text/plain; charset=utf-8", "héllo".as_bytes()));
        assert_eq!("x".into_response().content_type(), CONTENT_TYPE_TEXT);
        assert_eq!(String::from("x").into_response().content_type(), CONTENT_TYPE_TEXT);
        let b = vec![0u8, 255].into_response();
        assert_eq!((b.content_type(), b.body()), ("application/octet-stream", &[0u8, 255][..]));
        assert_eq!(().into_response().body(), b"null");
        assert_eq!(Json(vec![1, 2]).into_response().body(), b"[1,2]");
        assert_eq!(Response::text("x").with_status(201).status(), 201);
    }

    #[test]
    fn a_value_that_cannot_be_encoded_answers_500_with_the_execution_id() {
        let mut m = std::collections::BTreeMap::new();
        m.insert(vec![1u8], 1);
        let answer = Json(m).into_response().into_answer("exec_9");
        let (status, ct, body) = frame::decode_answer(&answer).unwrap();
        assert_eq!((status, ct.as_str()), (500, "application/json"));
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["execution_id"], "exec_9");
        assert!(v["error"].as_str().unwrap().starts_with("the handler's result cannot be encoded as JSON"));
    }

    #[test]
    fn question_mark_converts_std_and_serde_errors() {
        fn parse(s: &str) -> Result<u32> {
            Ok(s.parse::<u32>()?)
        }
        fn json(s: &str) -> Result<Value> {
            Ok(serde_json::from_str(s)?)
        }
        fn io() -> Result<()> {
            Err(std::io::Error::new(std::io::ErrorKind::Other, "disk on fire"))?
        }
        assert_eq!(parse("12").unwrap(), 12);
        assert_eq!(parse("x").unwrap_err().to_string(), "invalid digit found in string");
        assert!(json("{").is_err());
        assert_eq!(io().unwrap_err().to_string(), "disk on fire");
        assert_eq!(Error::msg("plain").to_string(), "plain");
        assert!(Error::new(std::fmt::Error).source_error().is::<std::fmt::Error>());
    }

    #[test]
    fn the_context_carries_the_execution_and_the_app() {
        let env = HashMap::from([("GREETING".to_string(), "Hello".to_string())]);
        let c = Context::new("exec_1", "acme-corp/tiny", "acme-corp", env);
        assert_eq!((c.execution_id(), c.function_id(), c.organization_id()), ("exec_1", "acme-corp/tiny", "acme-corp"));
        assert_eq!(c.env().get("GREETING").map(String::as_str), Some("Hello"));
    }
}
