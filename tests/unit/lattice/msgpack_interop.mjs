// An outside msgpack peer for tests/unit/lattice/wire_test.cc, built on the npm package @msgpack/msgpack (installed
// in tests/compat/node_modules by scripts/install-deps.sh --test).
//
//   node msgpack_interop.mjs NODE_MODULES_DIR decode FILE
//       Decodes the msgpack value in FILE and prints {"value": <it as JSON>, "key_types": {key: "string"|"number"}}.
//       Integer map keys show as "0"/"1" in `value` (JSON has only string keys); `key_types` tells them apart. A bin
//       value prints as an object ({"type": "Buffer", "data": […]}), an array of integers as an array.
//   node msgpack_interop.mjs NODE_MODULES_DIR encode JSON FILE
//       Writes JSON as msgpack to FILE: objects become maps in key order, a key made of decimal digits becomes an
//       integer key (rmp-serde's enum variant index), {"$bin": [..]} becomes bin, null nil, numbers integers.
//       @msgpack/msgpack encodes every scalar, string and array; it cannot write integer map keys, so map headers and
//       keys are put together here (JSON.parse lists digit keys first; give such keys only in one-entry maps).
//
// Exit status: 0 on success, 2 on bad usage or input, 3 when @msgpack/msgpack cannot be loaded.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [nodeModules, command, ...args] = process.argv.slice(2);
if (!nodeModules || !command) {
  console.error("usage: msgpack_interop.mjs NODE_MODULES_DIR (decode FILE | encode JSON FILE)");
  process.exit(2);
}

let msgpack;
try {
  msgpack = createRequire(import.meta.url)(path.join(nodeModules, "@msgpack", "msgpack"));
} catch (e) {
  const why = e.message.split("\n")[0];
  console.error(`cannot load @msgpack/msgpack from ${nodeModules}: ${why}; run scripts/install-deps.sh --test`);
  process.exit(3);
}

function mapHeader(n) {
  if (n < 16) return Uint8Array.of(0x80 | n);
  if (n < 0x10000) return Uint8Array.of(0xde, n >> 8, n & 0xff);
  return Uint8Array.of(0xdf, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

function arrayHeader(n) {
  if (n < 16) return Uint8Array.of(0x90 | n);
  if (n < 0x10000) return Uint8Array.of(0xdc, n >> 8, n & 0xff);
  return Uint8Array.of(0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function encodeValue(value) {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$bin") return [msgpack.encode(Uint8Array.from(value.$bin))];
    const parts = [mapHeader(keys.length)];
    for (const key of keys) {
      parts.push(msgpack.encode(/^[0-9]+$/.test(key) ? Number(key) : key));
      parts.push(...encodeValue(value[key]));
    }
    return parts;
  }
  if (Array.isArray(value) && value.some((item) => item !== null && typeof item === "object")) {
    return [arrayHeader(value.length), ...value.flatMap(encodeValue)];
  }
  return [msgpack.encode(value)];
}

if (command === "decode" && args.length === 1) {
  const keyTypes = {};
  const decoder = new msgpack.Decoder({
    mapKeyConverter: (key) => {
      keyTypes[String(key)] = typeof key;
      return key;
    },
  });
  const value = decoder.decode(fs.readFileSync(args[0]));
  process.stdout.write(JSON.stringify({ value, key_types: keyTypes }) + "\n");
} else if (command === "encode" && args.length === 2) {
  fs.writeFileSync(args[1], Buffer.concat(encodeValue(JSON.parse(args[0]))));
} else {
  console.error(`unknown command or wrong arguments: ${command} ${args.join(" ")}`);
  process.exit(2);
}
