// A provider that calls actors back through the host's Dispatcher, as wasmCloud 0.18's messaging and HTTP server
// providers do, for the host's tests of the Rust provider ABI (contract "stratus:callback").
//   Call            {actor, operation, msg: bin} -> dispatches on the calling thread; the actor's reply, or the error
//                   "dispatch to <actor> failed: <the host's error>"
//   CallFromThread  the same from a thread the provider starts (as a server's worker would)
//   Dispatches      how many dispatches succeeded so far, as decimal text
#[path = "wascc_codec.rs"]
#[macro_use]
pub mod codec;

use codec::{CapabilityProvider, Dispatcher, NullDispatcher, ProviderResult};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

#[derive(Clone)]
pub struct CallbackProvider {
    dispatcher: Arc<RwLock<Box<dyn Dispatcher>>>,
    dispatched: Arc<AtomicU64>,
}

impl CallbackProvider {
    pub fn new() -> Self {
        CallbackProvider {
            dispatcher: Arc::new(RwLock::new(Box::new(NullDispatcher))),
            dispatched: Arc::new(AtomicU64::new(0)),
        }
    }

    fn relay(&self, msg: &[u8]) -> ProviderResult<Vec<u8>> {
        let args = codec::decode(msg)?;
        let (actor, op, body) = (args.str("actor")?, args.str("operation")?, args.bytes("msg")?);
        match self.dispatcher.read().unwrap().dispatch(&actor, &op, &body) {
            Ok(reply) => {
                self.dispatched.fetch_add(1, Ordering::SeqCst);
                Ok(reply)
            }
            Err(e) => Err(format!("dispatch to {} failed: {}", actor, e).into()),
        }
    }
}

impl CapabilityProvider for CallbackProvider {
    fn configure_dispatch(&self, dispatcher: Box<dyn Dispatcher>) -> ProviderResult<()> {
        *self.dispatcher.write().unwrap() = dispatcher;
        Ok(())
    }

    fn handle_call(&self, _actor: &str, op: &str, msg: &[u8]) -> ProviderResult<Vec<u8>> {
        match op {
            codec::OP_BIND_ACTOR | codec::OP_REMOVE_ACTOR => Ok(vec![]),
            codec::OP_HEALTH_REQUEST => Ok(codec::health(true, "")),
            "Call" => self.relay(msg),
            "CallFromThread" => {
                let me = self.clone();
                let msg = msg.to_vec();
                let worker = std::thread::spawn(move || me.relay(&msg).map_err(|e| e.to_string()));
                match worker.join() {
                    Ok(result) => result.map_err(|e| e.into()),
                    Err(_) => Err("the worker thread panicked".into()),
                }
            }
            "Dispatches" => Ok(self.dispatched.load(Ordering::SeqCst).to_string().into_bytes()),
            _ => Err(format!("unsupported operation: {}", op).into()),
        }
    }

    fn stop(&self) {}
}

capability_provider!(CallbackProvider, CallbackProvider::new);
