// A key-value provider in the shape of wasmCloud 0.18's Rust providers (wasmcloud:keyvalue's Get, Set, Del and
// Add, with 0.18's msgpack messages), built as a cdylib by each rustc on the machine and packed into a provider
// archive, for the host's tests of the Rust provider ABI. Each bound actor has a store of its own; a call from an
// actor that is not bound fails, which shows that BindActor and RemoveActor arrive.
#[path = "wascc_codec.rs"]
#[macro_use]
pub mod codec;

use codec::{CapabilityProvider, Dispatcher, NullDispatcher, ProviderResult, Value, Writer};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Clone)]
pub struct KeyValueProvider {
    dispatcher: Arc<RwLock<Box<dyn Dispatcher>>>,
    stores: Arc<RwLock<HashMap<String, HashMap<String, String>>>>,
}

impl KeyValueProvider {
    pub fn new() -> Self {
        KeyValueProvider {
            dispatcher: Arc::new(RwLock::new(Box::new(NullDispatcher))),
            stores: Arc::new(RwLock::new(HashMap::new())),
        }
    }

    fn with_store<T>(&self, actor: &str, f: impl FnOnce(&mut HashMap<String, String>) -> T) -> ProviderResult<T> {
        let mut stores = self.stores.write().unwrap();
        match stores.get_mut(actor) {
            Some(store) => Ok(f(store)),
            None => Err(format!("actor {} is not bound to this provider", actor).into()),
        }
    }
}

impl CapabilityProvider for KeyValueProvider {
    fn configure_dispatch(&self, dispatcher: Box<dyn Dispatcher>) -> ProviderResult<()> {
        *self.dispatcher.write().unwrap() = dispatcher;
        Ok(())
    }

    fn handle_call(&self, actor: &str, op: &str, msg: &[u8]) -> ProviderResult<Vec<u8>> {
        match op {
            codec::OP_BIND_ACTOR => {
                let module = codec::decode(msg)?.str("module")?;
                self.stores.write().unwrap().entry(module).or_insert_with(HashMap::new);
                Ok(vec![])
            }
            codec::OP_REMOVE_ACTOR => {
                let module = codec::decode(msg)?.str("module")?;
                self.stores.write().unwrap().remove(&module);
                Ok(vec![])
            }
            codec::OP_HEALTH_REQUEST => Ok(codec::health(true, "")),
            "Get" => {
                let key = codec::decode(msg)?.str("key")?;
                let value = self.with_store(actor, |s| s.get(&key).cloned())?;
                Ok(Writer::map(2)
                    .str("value")
                    .str(value.as_deref().unwrap_or(""))
                    .str("exists")
                    .bool(value.is_some())
                    .0)
            }
            "Set" => {
                let args = codec::decode(msg)?;
                let (key, value) = (args.str("key")?, args.str("value")?);
                self.with_store(actor, |s| s.insert(key, value.clone()))?;
                Ok(Writer::map(1).str("value").str(&value).0)
            }
            "Del" => {
                let key = codec::decode(msg)?.str("key")?;
                self.with_store(actor, |s| s.remove(&key))?;
                Ok(Writer::map(1).str("key").str(&key).0)
            }
            "Add" => {
                let args: Value = codec::decode(msg)?;
                let (key, delta) = (args.str("key")?, args.int("value")?);
                let total = self.with_store(actor, |s| {
                    let now = s.get(&key).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0) + delta;
                    s.insert(key, now.to_string());
                    now
                })?;
                Ok(Writer::map(1).str("value").int(total).0)
            }
            _ => Err(format!("unsupported operation: {}", op).into()),
        }
    }

    fn stop(&self) {
        self.stores.write().unwrap().clear();
    }
}

capability_provider!(KeyValueProvider, KeyValueProvider::new);
