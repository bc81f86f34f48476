// The deterministic host-call callbacks of wapc_node_call.mjs (--host-call-echo, --host-call-echo-msgpack), shared
// with guest_selftest.mjs. The contract is documented in wapc_node_call.mjs and README.md; stratus's differential
// tests implement the same functions in C++ and compare bytes.

const encoder = new TextEncoder();

function hostFailure(binding, namespace, operation) {
  // A thrown string (not an Error): @wapc/host stores '' + thrown, so the text carries no "Error: " prefix.
  return `host failure: ${binding}|${namespace}|${operation}`;
}

/** --host-call-echo: UTF-8("binding|namespace|operation|") + payload; operation "Fail" fails. */
export function echoHostCall(binding, namespace, operation, payload) {
  if (operation === 'Fail') throw hostFailure(binding, namespace, operation);
  const prefix = encoder.encode(`${binding}|${namespace}|${operation}|`);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}

/** The content of a payload that is exactly one msgpack str; undefined otherwise. */
export function decodeMsgpackStr(bytes) {
  if (bytes.length === 0) return undefined;
  const m = bytes[0];
  let offset;
  let len;
  if ((m & 0xe0) === 0xa0) {
    offset = 1;
    len = m & 0x1f;
  } else if (m === 0xd9 && bytes.length >= 2) {
    offset = 2;
    len = bytes[1];
  } else if (m === 0xda && bytes.length >= 3) {
    offset = 3;
    len = (bytes[1] << 8) | bytes[2];
  } else if (m === 0xdb && bytes.length >= 5) {
    offset = 5;
    len = ((bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4]) >>> 0;
  } else {
    return undefined;
  }
  if (offset + len !== bytes.length) return undefined;
  return bytes.subarray(offset);
}

/** A msgpack str of the given UTF-8 bytes, in the smallest encoding (fixstr/str8/str16/str32). */
export function encodeMsgpackStr(utf8) {
  const len = utf8.length;
  let header;
  if (len < 32) header = [0xa0 | len];
  else if (len < 0x100) header = [0xd9, len];
  else if (len < 0x10000) header = [0xda, len >> 8, len & 0xff];
  else header = [0xdb, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff];
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  out.set(utf8, header.length);
  return out;
}

/** --host-call-echo-msgpack: msgpack str("binding|namespace|operation|" + S) for a payload that is one msgpack str
 * S; operation "Fail" fails; any other payload fails with "payload is not a msgpack string". */
export function echoMsgpackHostCall(binding, namespace, operation, payload) {
  if (operation === 'Fail') throw hostFailure(binding, namespace, operation);
  const str = decodeMsgpackStr(payload);
  if (str === undefined) throw 'payload is not a msgpack string';
  const prefix = encoder.encode(`${binding}|${namespace}|${operation}|`);
  const joined = new Uint8Array(prefix.length + str.length);
  joined.set(prefix, 0);
  joined.set(str, prefix.length);
  return encodeMsgpackStr(joined);
}
