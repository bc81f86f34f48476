// as_actor — a waPC guest written with the third-party AssemblyScript SDK (@wapc/as-guest 0.3.1), for checking
// stratus against a guest it did not build. Handlers are registered by top-level code, which the build exports
// as `_start` (asc --exportStart _start): a waPC host must run `_start` before the first call.
//
// Operations (payload -> result):
//   Echo      bytes -> the same bytes
//   Fail      text  -> guest error "requested failure: " + text
//   Log       text  -> __console_log(text), empty result
//   Count     any   -> u32 LE counter, 1 on the first call of an instance
//   HostCall  msgpack {binding: str, namespace: str, operation: str, payload: bin|str} (as test_actor)
//                   -> the host response; host error -> guest error "host call failed: " + error text;
//                      malformed payload -> guest error "bad HostCall payload"
//   Unknown operations answer as-guest's own error: Could not find function "<op>".
import { register, handleCall, hostCall, handleAbort, consoleLog, Result } from "@wapc/as-guest";

let counter: u32 = 0;

register("Echo", function (payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.ok<ArrayBuffer>(payload);
});

register("Fail", function (payload: ArrayBuffer): Result<ArrayBuffer> {
  return Result.error<ArrayBuffer>(new Error("requested failure: " + String.UTF8.decode(payload)));
});

register("Log", function (payload: ArrayBuffer): Result<ArrayBuffer> {
  consoleLog(String.UTF8.decode(payload));
  return Result.ok<ArrayBuffer>(new ArrayBuffer(0));
});

register("Count", function (payload: ArrayBuffer): Result<ArrayBuffer> {
  counter += 1;
  const out = new ArrayBuffer(4);
  store<u32>(changetype<usize>(out), counter); // wasm memory is little-endian
  return Result.ok<ArrayBuffer>(out);
});

register("HostCall", function (payload: ArrayBuffer): Result<ArrayBuffer> {
  const args = parseHostCallArgs(payload);
  if (args == null) return Result.error<ArrayBuffer>(new Error("bad HostCall payload"));
  const result = hostCall(args.binding, args.namespace, args.operation, args.payload);
  if (!result.isOk) {
    return Result.error<ArrayBuffer>(new Error("host call failed: " + result.error()!.message));
  }
  return Result.ok<ArrayBuffer>(result.get());
});

// ---- A minimal msgpack reader for the HostCall argument map (fixmap/map16, str, bin; other values rejected).

class HostCallArgs {
  binding: string = "";
  namespace: string = "";
  operation: string = "";
  payload: ArrayBuffer = new ArrayBuffer(0);
}

class Reader {
  pos: i32 = 0;
  failed: bool = false;
  constructor(public bytes: Uint8Array) {}

  byte(): u32 {
    if (this.pos >= this.bytes.length) {
      this.failed = true;
      return 0;
    }
    return this.bytes[this.pos++];
  }

  // Big-endian unsigned of n bytes.
  be(n: i32): u32 {
    let v: u32 = 0;
    for (let i = 0; i < n; i++) v = (v << 8) | this.byte();
    return v;
  }

  mapHeader(): i32 {
    const m = this.byte();
    if ((m & 0xf0) == 0x80) return <i32>(m & 0x0f);
    if (m == 0xde) return <i32>this.be(2);
    this.failed = true;
    return 0;
  }

  // The bytes of the next str or bin value (isStrOut[0] tells which); null when it is neither or truncated.
  take(isStrOut: bool[]): ArrayBuffer | null {
    const m = this.byte();
    let len: u32 = 0;
    let isStr = true;
    if ((m & 0xe0) == 0xa0) len = m & 0x1f;
    else if (m == 0xd9) len = this.be(1);
    else if (m == 0xda) len = this.be(2);
    else if (m == 0xdb) len = this.be(4);
    else {
      isStr = false;
      if (m == 0xc4) len = this.be(1);
      else if (m == 0xc5) len = this.be(2);
      else if (m == 0xc6) len = this.be(4);
      else {
        this.failed = true;
        return null;
      }
    }
    if (this.failed || len > <u32>(this.bytes.length - this.pos)) {
      this.failed = true;
      return null;
    }
    isStrOut[0] = isStr;
    const out = this.bytes.slice(this.pos, this.pos + <i32>len).buffer;
    this.pos += <i32>len;
    return out;
  }
}

function parseHostCallArgs(payload: ArrayBuffer): HostCallArgs | null {
  const r = new Reader(Uint8Array.wrap(payload));
  const args = new HostCallArgs();
  const n = r.mapHeader();
  const isStr: bool[] = [false];
  for (let i = 0; i < n && !r.failed; i++) {
    const key = r.take(isStr);
    if (key == null || !isStr[0]) return null;
    const name = String.UTF8.decode(key);
    const value = r.take(isStr);
    if (value == null) return null;
    if (name == "payload") {
      args.payload = value;
    } else {
      if (!isStr[0]) return null;
      const text = String.UTF8.decode(value);
      if (name == "binding") args.binding = text;
      else if (name == "namespace") args.namespace = text;
      else if (name == "operation") args.operation = text;
    }
  }
  if (r.failed) return null;
  return args;
}

// ---- Required by @wapc/as-guest in the entry file.

export function __guest_call(operation_size: usize, payload_size: usize): bool {
  return handleCall(operation_size, payload_size);
}

function abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  handleAbort(message, fileName, lineNumber, columnNumber);
}
