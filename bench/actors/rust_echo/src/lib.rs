//! bench_rust_echo: wasmCloud 0.18's `echo` example actor, rebuilt for the benchmarks.
//!
//! The real actor (wasmCloud/examples `echo`, built on the wapc-guest 0.4, actor-core and actor-http-server crates)
//! cannot be fetched here, and neither can those three crates. This crate reproduces what runs per HandleRequest in
//! that actor with the same libraries where Debian has them (serde + serde_derive, rmp-serde with struct maps,
//! serde_bytes, serde_json, lazy_static, Rust's std and its wasm32 allocator) and the same release profile
//! (opt-level "s", LTO); the waPC glue and the two interface crates are written out below, doing what theirs do:
//!
//! - `__guest_call` allocates buffers for the operation and the payload, fetches both with `__guest_request`,
//!   looks the operation up in a registry of handlers (a map behind a lock) and answers with `__guest_response`
//!   or `__guest_error` ("Guest call failed: …", "No handler registered for function \"…\"").
//! - `wapc_init` registers `HealthRequest` (actor-core) and `HandleRequest` (actor-http-server).
//! - HandleRequest decodes the msgpack `Request` with rmp-serde into owned Strings, a HashMap of headers and a
//!   Vec<u8> body, calls `echo`, and encodes the `Response` with rmp-serde's struct-map serializer.
//! - `echo` moves the request's fields into an `EchoRequest` and answers `Response::json(echo, 200, "OK")`:
//!   serde_json text of {method, path, query_string, headers, body} (the body as an array of numbers), no headers.
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::RwLock;

type HandlerError = Box<dyn std::error::Error + Sync + Send>;
type CallResult = Result<Vec<u8>, HandlerError>;
type HandlerResult<T> = Result<T, HandlerError>;

// ---- waPC guest ABI ------------------------------------------------------------------------------------------------

#[link(wasm_import_module = "wapc")]
extern "C" {
    fn __guest_request(op_ptr: *mut u8, payload_ptr: *mut u8);
    fn __guest_response(ptr: *const u8, len: usize);
    fn __guest_error(ptr: *const u8, len: usize);
}

lazy_static::lazy_static! {
    static ref HANDLERS: RwLock<HashMap<String, fn(&[u8]) -> CallResult>> = RwLock::new(HashMap::new());
}

fn register_function(operation: &str, handler: fn(&[u8]) -> CallResult) {
    HANDLERS.write().unwrap().insert(operation.to_string(), handler);
}

#[no_mangle]
pub extern "C" fn __guest_call(op_len: i32, payload_len: i32) -> i32 {
    let mut op = vec![0u8; op_len as usize];
    let mut payload = vec![0u8; payload_len as usize];
    unsafe { __guest_request(op.as_mut_ptr(), payload.as_mut_ptr()) };
    let operation = String::from_utf8_lossy(&op).into_owned();
    let handler = HANDLERS.read().unwrap().get(&operation).copied();
    let outcome = match handler {
        Some(handler) => handler(&payload).map_err(|e| format!("Guest call failed: {}", e)),
        None => Err(format!("No handler registered for function \"{}\"", operation)),
    };
    match outcome {
        Ok(response) => {
            unsafe { __guest_response(response.as_ptr(), response.len()) };
            1
        }
        Err(message) => {
            unsafe { __guest_error(message.as_ptr(), message.len()) };
            0
        }
    }
}

#[no_mangle]
pub extern "C" fn wapc_init() {
    register_function("HealthRequest", health_request);
    register_function("HandleRequest", handle_request);
}

// ---- msgpack, as the interface crates encode it (rmp-serde, structs as maps keyed by field name) ----------------

fn serialize<T: Serialize>(value: &T) -> Result<Vec<u8>, HandlerError> {
    let mut buf = Vec::new();
    value.serialize(&mut rmp_serde::Serializer::new(&mut buf).with_struct_map())?;
    Ok(buf)
}

fn deserialize<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, HandlerError> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes);
    Ok(T::deserialize(&mut de)?)
}

// ---- wasmcloud:core ------------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct HealthRequest {
    #[allow(dead_code)]
    placeholder: bool,
}

#[derive(Serialize)]
struct HealthResponse {
    healthy: bool,
    message: String,
}

fn health_request(payload: &[u8]) -> CallResult {
    let _request: HealthRequest = deserialize(payload)?;
    serialize(&HealthResponse { healthy: true, message: String::new() })
}

// ---- wasmcloud:httpserver ------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Request {
    method: String,
    path: String,
    #[serde(rename = "queryString")]
    query_string: String,
    header: HashMap<String, String>,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
}

#[derive(Serialize)]
struct Response {
    #[serde(rename = "statusCode")]
    status_code: u32,
    status: String,
    header: HashMap<String, String>,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
}

impl Response {
    fn json<T: Serialize>(payload: T, status_code: u32, status: &str) -> Response {
        Response {
            status_code,
            status: status.to_string(),
            header: HashMap::new(),
            body: serde_json::to_string(&payload).unwrap().into_bytes(),
        }
    }
}

fn handle_request(payload: &[u8]) -> CallResult {
    let request: Request = deserialize(payload)?;
    serialize(&echo(request)?)
}

// ---- the actor -----------------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct EchoRequest {
    method: String,
    path: String,
    query_string: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn echo(request: Request) -> HandlerResult<Response> {
    let echo = EchoRequest {
        method: request.method,
        path: request.path,
        query_string: request.query_string,
        headers: request.header,
        body: request.body,
    };
    Ok(Response::json(echo, 200, "OK"))
}
