// Checks the guests on the reference host alone: stratus's test actors, the AssemblyScript actor and the
// @wapc/host fixtures all run on @wapc/host (Node/V8) as README.md says, and wapc_node_call.mjs keeps its contract.
// A failure here means an actor (or the CLI) is broken, not stratus.
//
//   node guest_selftest.mjs <actor-dir>     (the build's STRATUS_ACTOR_OUT_DIR; ctest passes it)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { echoHostCall, echoMsgpackHostCall, encodeMsgpackStr } from './host_callbacks.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const wapc = require('@wapc/host');

const actorDir = process.argv[2];
if (!actorDir) {
  process.stderr.write('usage: node guest_selftest.mjs <actor-dir>\n');
  process.exit(2);
}
const fixtureDir = path.join(here, 'node_modules', '@wapc', 'host', 'test', 'fixtures');
const cli = path.join(here, 'wapc_node_call.mjs');
const enc = new TextEncoder();
const dec = new TextDecoder();

const modules = new Map();
function load(file) {
  if (!modules.has(file)) modules.set(file, new Uint8Array(readFileSync(file)));
  return modules.get(file);
}
const testActor = () => load(path.join(actorDir, 'test_actor.wasm'));
const computeActor = () => load(path.join(actorDir, 'compute_actor.wasm'));
const asActor = () => load(path.join(actorDir, 'as_actor.wasm'));

// Minimal msgpack encoding of a map with str keys and str (string) or bin (Uint8Array) values.
function msgpackMap(entries) {
  const parts = [Uint8Array.of(0x80 | entries.length)];
  for (const [key, value] of entries) {
    parts.push(encodeMsgpackStr(enc.encode(key)));
    if (typeof value === 'string') {
      parts.push(encodeMsgpackStr(enc.encode(value)));
    } else {
      assert.ok(value.length < 256);
      parts.push(Uint8Array.of(0xc4, value.length), value);
    }
  }
  return Uint8Array.from(Buffer.concat(parts));
}

function u32le(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return new Uint8Array(b);
}

// Runs fn with console.log captured (@wapc/host prints __console_log with it).
async function captureLog(fn) {
  const lines = [];
  const saved = console.log;
  console.log = (...args) => lines.push(args.join(' '));
  try {
    await fn();
  } finally {
    console.log = saved;
  }
  return lines;
}

const hostCallArgs = (op, payload) =>
  msgpackMap([
    ['binding', 'default'],
    ['namespace', 'wasmcloud:keyvalue'],
    ['operation', op],
    ['payload', payload],
  ]);

for (const [name, guest] of [
  ['test_actor', testActor],
  ['as_actor', asActor],
]) {
  test(`${name}: Echo returns the payload`, async () => {
    const host = await wapc.instantiate(guest());
    for (const size of [0, 1, 200, 70000]) {
      const payload = new Uint8Array(randomBytes(size));
      assert.deepEqual(await host.invoke('Echo', payload), payload);
    }
  });

  test(`${name}: Fail answers the guest error`, async () => {
    const host = await wapc.instantiate(guest());
    await assert.rejects(host.invoke('Fail', enc.encode('oops')), { message: 'requested failure: oops' });
  });

  test(`${name}: Log writes the console and answers empty`, async () => {
    const host = await wapc.instantiate(guest());
    let result;
    const lines = await captureLog(async () => {
      result = await host.invoke('Log', enc.encode('hello log'));
    });
    assert.deepEqual(lines, ['hello log']);
    assert.equal(result.length, 0);
  });

  test(`${name}: Count keeps state across calls`, async () => {
    const host = await wapc.instantiate(guest());
    for (let i = 1; i <= 3; ++i) assert.deepEqual(await host.invoke('Count', new Uint8Array(0)), u32le(i));
  });

  test(`${name}: HostCall with the echo callbacks`, async () => {
    const host = await wapc.instantiate(guest(), echoHostCall);
    const ok = await host.invoke('HostCall', hostCallArgs('Get', enc.encode('abc')));
    assert.equal(dec.decode(ok), 'default|wasmcloud:keyvalue|Get|abc');
    await assert.rejects(host.invoke('HostCall', hostCallArgs('Fail', enc.encode('x'))), {
      message: 'host call failed: host failure: default|wasmcloud:keyvalue|Fail',
    });
    await assert.rejects(host.invoke('HostCall', Uint8Array.of(0x84, 0xa1)), { message: 'bad HostCall payload' });
    const hostMp = await wapc.instantiate(guest(), echoMsgpackHostCall);
    const mp = await hostMp.invoke('HostCall', hostCallArgs('Get', encodeMsgpackStr(enc.encode('abc'))));
    assert.deepEqual(mp, encodeMsgpackStr(enc.encode('default|wasmcloud:keyvalue|Get|abc')));
  });
}

test('test_actor: unknown operation', async () => {
  const host = await wapc.instantiate(testActor());
  await assert.rejects(host.invoke('Nope', new Uint8Array(0)), { message: 'No handler registered for function "Nope"' });
});

test('as_actor: unknown operation (as-guest wording)', async () => {
  const host = await wapc.instantiate(asActor());
  await assert.rejects(host.invoke('Nope', new Uint8Array(0)), { message: 'Could not find function "Nope"' });
});

test('test_actor: traps', async () => {
  const expected = {
    Trap: /unreachable/,
    DivZero: /divide by zero/,
    OobRead: /out of bounds/,
    Recurse: /out of bounds|call stack/i,
  };
  for (const [op, message] of Object.entries(expected)) {
    const host = await wapc.instantiate(testActor());
    await assert.rejects(host.invoke(op, new Uint8Array(0)), (e) => {
      assert.ok(e instanceof WebAssembly.RuntimeError, `${op}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

test('test_actor: Grow, InitCount, BadPointer on @wapc/host', async () => {
  const host = await wapc.instantiate(testActor(), echoHostCall);
  assert.deepEqual(await host.invoke('Grow', u32le(1)), u32le(2)); // initial memory: 2 pages
  assert.deepEqual(await host.invoke('Grow', u32le(0xffffffff)), u32le(0xffffffff)); // -1
  await assert.rejects(host.invoke('Grow', new Uint8Array(1)), { message: 'Grow expects a u32 LE page count' });
  assert.deepEqual(await host.invoke('InitCount', new Uint8Array(0)), u32le(1));
  // @wapc/host does not bounds-check guest pointers (Uint8Array.slice clamps): it accepts what stratus must refuse.
  assert.equal(dec.decode(await host.invoke('BadPointer', new Uint8Array(0))), 'BadPointer accepted');
});

test('compute_actor: Fib, Sha256, Noop', async () => {
  const host = await wapc.instantiate(computeActor());
  const fib = (n) => (n < 2 ? BigInt(n) : fib(n - 1) + fib(n - 2));
  for (const n of [0, 1, 2, 10, 20, 25]) {
    const out = Buffer.from(await host.invoke('Fib', u32le(n)));
    assert.equal(out.readBigUInt64LE(0), fib(n), `fib(${n})`);
  }
  await assert.rejects(host.invoke('Fib', new Uint8Array(2)), { message: 'Fib expects a u32 LE argument' });
  for (const size of [0, 3, 55, 56, 63, 64, 65, 1000, 100000]) {
    const data = new Uint8Array(randomBytes(size));
    const digest = createHash('sha256').update(data).digest();
    assert.deepEqual(Buffer.from(await host.invoke('Sha256', data)), digest, `sha256 of ${size} bytes`);
  }
  assert.equal((await host.invoke('Noop', new Uint8Array(8))).length, 0);
});

test('fixtures: rust_echo_string echo and rust_host_call callback', async () => {
  let result;
  const lines = await captureLog(async () => {
    const echo = await wapc.instantiate(load(path.join(fixtureDir, 'rust_echo_string.wasm')));
    result = await echo.invoke('echo', msgpackMap([['msg', 'hello world']]));
  });
  assert.deepEqual(result, encodeMsgpackStr(enc.encode('hello world')));
  assert.deepEqual(lines, ['WASM: WAPC init', 'WASM: Got string hello world']);

  const args = msgpackMap([
    ['namespace', 'myNamespace'],
    ['binding', 'myBinding'],
    ['operation', 'myOperation'],
    ['msg', 'this is the payload'],
  ]);
  const cbLines = await captureLog(async () => {
    const cb = await wapc.instantiate(load(path.join(fixtureDir, 'rust_host_call.wasm')), echoMsgpackHostCall);
    result = await cb.invoke('callback', args);
  });
  assert.equal(cbLines[1], 'WASM: received (myBinding,myNamespace,myOperation,this is the payload)');
  assert.deepEqual(result, encodeMsgpackStr(enc.encode('myBinding|myNamespace|myOperation|this is the payload')));
});

test('wapc_node_call.mjs contract', () => {
  const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  let r = run(path.join(actorDir, 'test_actor.wasm'), 'Echo', '68656c6c6f');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '68656c6c6f\n');
  r = run(path.join(actorDir, 'test_actor.wasm'), 'Fail', '6f6f7073');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'guest error: requested failure: oops\n');
  r = run(path.join(actorDir, 'test_actor.wasm'), 'Trap', '');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'trap: unreachable\n');
  r = run(path.join(actorDir, 'test_actor.wasm'), 'Log', '6869');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '\n');
  assert.equal(r.stderr, 'console_log: hi\n');
  r = run(path.join(actorDir, 'test_actor.wasm'), 'Count', '', '--repeat', '4');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '05000000\n'); // one warm-up call + 4
  assert.match(r.stderr, /^mean_ns_per_call=[0-9]+\.[0-9] calls=4\n$/);
  r = run(path.join(actorDir, 'test_actor.wasm'), 'Echo', 'zz');
  assert.equal(r.status, 2);
  r = run(path.join(actorDir, 'missing.wasm'), 'Echo', '');
  assert.equal(r.status, 2);
  const hc = Buffer.from(hostCallArgs('Get', enc.encode('abc'))).toString('hex');
  r = run(path.join(actorDir, 'test_actor.wasm'), 'HostCall', hc, '--host-call-echo');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${Buffer.from('default|wasmcloud:keyvalue|Get|abc').toString('hex')}\n`);
  r = run(path.join(actorDir, 'test_actor.wasm'), 'HostCall', hc);
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    "guest error: host call failed: Error: Host call not implemented. Guest called host with binding = 'default', " +
      "namespace = 'wasmcloud:keyvalue', & operation = 'Get'\n",
  );
});

test('actors exist', () => {
  for (const f of ['test_actor.wasm', 'compute_actor.wasm', 'as_actor.wasm']) {
    assert.ok(existsSync(path.join(actorDir, f)), `${f} in ${actorDir}`);
  }
});
