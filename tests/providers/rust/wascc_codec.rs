// The native-provider FFI of the seeds, declared here as wascc-codec 0.8/0.9 declares it (wasmCloud 0.18's
// providers depend on that crate; no crates.io here, so the traits are repeated, as the seeds invite other
// implementations to do), plus the little MessagePack the test providers need. Written independently of stratus's
// C++ codec, so the tests check the wire from both sides.
#![allow(dead_code)]

use std::any::Any;
use std::error::Error;

pub type ProviderResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

pub trait Dispatcher: Any + Send + Sync {
    fn dispatch(&self, actor: &str, op: &str, msg: &[u8]) -> ProviderResult<Vec<u8>>;
}

pub trait CloneProvider {
    fn clone_provider(&self) -> Box<dyn CapabilityProvider>;
}

impl<T> CloneProvider for T
where
    T: CapabilityProvider + Clone + 'static,
{
    fn clone_provider(&self) -> Box<dyn CapabilityProvider> {
        Box::new(self.clone())
    }
}

pub trait CapabilityProvider: CloneProvider + Send + Sync {
    fn configure_dispatch(&self, dispatcher: Box<dyn Dispatcher>) -> ProviderResult<()>;
    fn handle_call(&self, actor: &str, op: &str, msg: &[u8]) -> ProviderResult<Vec<u8>>;
    fn stop(&self);
}

/// Until the host configures one: every dispatch fails.
pub struct NullDispatcher;
impl Dispatcher for NullDispatcher {
    fn dispatch(&self, _actor: &str, _op: &str, _msg: &[u8]) -> ProviderResult<Vec<u8>> {
        Err("no dispatcher configured".into())
    }
}

#[macro_export]
macro_rules! capability_provider {
    ($provider_type:ty, $constructor:path) => {
        #[no_mangle]
        #[allow(improper_ctypes_definitions)]
        pub extern "C" fn __capability_provider_create() -> *mut dyn $crate::codec::CapabilityProvider {
            let constructor: fn() -> $provider_type = $constructor;
            let boxed: Box<dyn $crate::codec::CapabilityProvider> = Box::new(constructor());
            Box::into_raw(boxed)
        }
    };
}

pub const OP_BIND_ACTOR: &str = "BindActor";
pub const OP_REMOVE_ACTOR: &str = "RemoveActor";
pub const OP_HEALTH_REQUEST: &str = "HealthRequest";

// ---- MessagePack --------------------------------------------------------------------------------------------------

pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    Str(String),
    Bin(Vec<u8>),
    Map(Vec<(String, Value)>),
    Other,
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn str(&self, key: &str) -> ProviderResult<String> {
        match self.get(key) {
            Some(Value::Str(s)) => Ok(s.clone()),
            Some(Value::Bin(b)) => String::from_utf8(b.clone()).map_err(|e| e.into()),
            _ => Err(format!("field '{}' is missing or not a string", key).into()),
        }
    }
    pub fn bytes(&self, key: &str) -> ProviderResult<Vec<u8>> {
        match self.get(key) {
            Some(Value::Bin(b)) => Ok(b.clone()),
            Some(Value::Str(s)) => Ok(s.as_bytes().to_vec()),
            _ => Err(format!("field '{}' is missing or not bytes", key).into()),
        }
    }
    pub fn int(&self, key: &str) -> ProviderResult<i64> {
        match self.get(key) {
            Some(Value::Int(i)) => Ok(*i),
            _ => Err(format!("field '{}' is missing or not an integer", key).into()),
        }
    }
}

pub fn decode(bytes: &[u8]) -> ProviderResult<Value> {
    let mut at = 0usize;
    let v = read(bytes, &mut at, 0)?;
    Ok(v)
}

fn take<'a>(b: &'a [u8], at: &mut usize, n: usize) -> ProviderResult<&'a [u8]> {
    if b.len() < *at + n {
        return Err(format!("msgpack: truncated at byte {}", *at).into());
    }
    let s = &b[*at..*at + n];
    *at += n;
    Ok(s)
}

fn uint(b: &[u8], at: &mut usize, n: usize) -> ProviderResult<u64> {
    Ok(take(b, at, n)?.iter().fold(0u64, |acc, x| (acc << 8) | *x as u64))
}

fn read(b: &[u8], at: &mut usize, depth: u32) -> ProviderResult<Value> {
    if depth > 16 {
        return Err("msgpack: nested too deeply".into());
    }
    let tag = take(b, at, 1)?[0];
    let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).map_err(|_| "msgpack: a string is not UTF-8");
    Ok(match tag {
        0x00..=0x7f => Value::Int(tag as i64),
        0xe0..=0xff => Value::Int((tag as i8) as i64),
        0xc0 => Value::Nil,
        0xc2 => Value::Bool(false),
        0xc3 => Value::Bool(true),
        0xcc => Value::Int(uint(b, at, 1)? as i64),
        0xcd => Value::Int(uint(b, at, 2)? as i64),
        0xce => Value::Int(uint(b, at, 4)? as i64),
        0xcf => Value::Int(uint(b, at, 8)? as i64),
        0xd0 => Value::Int((uint(b, at, 1)? as u8 as i8) as i64),
        0xd1 => Value::Int((uint(b, at, 2)? as u16 as i16) as i64),
        0xd2 => Value::Int((uint(b, at, 4)? as u32 as i32) as i64),
        0xd3 => Value::Int(uint(b, at, 8)? as i64),
        0xa0..=0xbf => Value::Str(text(take(b, at, (tag & 0x1f) as usize)?)?),
        0xd9 | 0xda | 0xdb => {
            let n = uint(b, at, 1 << (tag - 0xd9))? as usize;
            Value::Str(text(take(b, at, n)?)?)
        }
        0xc4 | 0xc5 | 0xc6 => {
            let n = uint(b, at, 1 << (tag - 0xc4))? as usize;
            Value::Bin(take(b, at, n)?.to_vec())
        }
        0x80..=0x8f | 0xde | 0xdf => {
            let n = match tag {
                0xde => uint(b, at, 2)? as usize,
                0xdf => uint(b, at, 4)? as usize,
                _ => (tag & 0x0f) as usize,
            };
            let mut entries = Vec::new();
            for _ in 0..n {
                let key = match read(b, at, depth + 1)? {
                    Value::Str(s) => s,
                    _ => return Err("msgpack: a map key is not a string".into()),
                };
                entries.push((key, read(b, at, depth + 1)?));
            }
            Value::Map(entries)
        }
        _ => Value::Other,
    })
}

pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn map(n: usize) -> Writer {
        let mut w = Writer(Vec::new());
        if n < 16 {
            w.0.push(0x80 | n as u8);
        } else {
            w.0.push(0xde);
            w.0.extend_from_slice(&(n as u16).to_be_bytes());
        }
        w
    }
    pub fn str(mut self, s: &str) -> Writer {
        let n = s.len();
        if n < 32 {
            self.0.push(0xa0 | n as u8);
        } else if n < 256 {
            self.0.push(0xd9);
            self.0.push(n as u8);
        } else {
            self.0.push(0xdb);
            self.0.extend_from_slice(&(n as u32).to_be_bytes());
        }
        self.0.extend_from_slice(s.as_bytes());
        self
    }
    pub fn bool(mut self, b: bool) -> Writer {
        self.0.push(if b { 0xc3 } else { 0xc2 });
        self
    }
    pub fn int(mut self, i: i64) -> Writer {
        self.0.push(0xd3);
        self.0.extend_from_slice(&i.to_be_bytes());
        self
    }
}

/// HealthResponse {healthy, message}.
pub fn health(healthy: bool, message: &str) -> Vec<u8> {
    Writer::map(2).str("healthy").bool(healthy).str("message").str(message).0
}
