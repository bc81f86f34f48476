#!/usr/bin/env node
// Calls one waPC operation of a wasm module through @wapc/host (the reference waPC host on Node/V8) and prints
// the result bytes as lowercase hex on stdout. Used by stratus's differential tests and benchmarks.
//
// Usage:
//   node wapc_node_call.mjs <module.wasm> <operation> <payload> [--host-call-echo | --host-call-echo-msgpack]
//                           [--repeat N] [--expect <result>]
//
//   <payload>                hex bytes ("" or "-" for an empty payload), or @FILE to send FILE's raw bytes
//   --host-call-echo         answer the guest's host calls with the raw echo callback below
//   --host-call-echo-msgpack answer them with the msgpack-string echo callback below (for guests that decode the
//                            host response as a msgpack string, like the rust_host_call.wasm fixture)
//                            Without either, every host call fails with @wapc/host's own error (see README.md).
//   --repeat N               make the call N times (N >= 1) on the same instance after one warm-up call; prints
//                            "mean_ns_per_call=<float> calls=<N>" on stderr. stdout holds the last call's result.
//                            Console lines of the N timed calls are counted, not printed ("console_log lines
//                            suppressed: <count>" on stderr when there were any).
//   --expect <result>        the result the call must return (hex, "" or "-" for empty, or @FILE): checked on the
//                            first call (the warm-up with --repeat) and on the last one; a different result exits
//                            with status 3 before any timing is printed. For benchmarks that must not time a wrong
//                            answer.
//
// Exit status: 0 success; 1 the call failed (guest error or trap; stderr: "guest error: <text>" or
// "trap: <message of V8's RuntimeError, or RangeError for stack exhaustion>"); 2 usage, file or instantiation error
// (stderr: the reason); 3 the result differs from --expect (stderr: "unexpected result: <hex>").
// The guest's __console_log lines go to stderr as "console_log: <text>" so stdout holds only the result.
//
// Host-call callbacks, for a call host_call(binding, namespace, operation, payload). Both modes:
//   - operation == "Fail": the host call fails (guest sees 0) with the error text
//       "host failure: <binding>|<namespace>|<operation>"
//     (@wapc/host stores '' + thrown; a thrown string keeps the text unchanged)
//   --host-call-echo, otherwise: succeeds with the bytes
//       UTF-8("<binding>|<namespace>|<operation>|") followed by the payload bytes unchanged
//   --host-call-echo-msgpack, otherwise: the payload must be exactly one msgpack str S (fixstr/str8/str16/str32);
//     succeeds with the msgpack str (smallest encoding, as rmp and msgpack-cxx write it) of
//       "<binding>|<namespace>|<operation>|" + S
//     and fails with the error text "payload is not a msgpack string" when the payload is anything else.
// @wapc/host decodes binding/namespace/operation as UTF-8 strings and measures the host error with String.length
// (UTF-16 units): keep all these strings ASCII for byte-exact comparisons.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import { echoHostCall, echoMsgpackHostCall } from './host_callbacks.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function usage(message) {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(
    'usage: node wapc_node_call.mjs <module.wasm> <operation> <payload-hex|@file|-> ' +
      '[--host-call-echo|--host-call-echo-msgpack] [--repeat N] [--expect <hex|@file|->]\n',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const positional = [];
  const options = { hostCall: undefined, repeat: 0, expect: undefined };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--host-call-echo' || arg === '--host-call-echo-msgpack') {
      if (options.hostCall !== undefined) usage('give one --host-call-* option at most');
      options.hostCall = arg === '--host-call-echo' ? echoHostCall : echoMsgpackHostCall;
    } else if (arg === '--repeat') {
      const value = argv[++i];
      if (value === undefined || !/^[1-9][0-9]*$/.test(value)) usage('--repeat needs a positive integer');
      options.repeat = Number(value);
    } else if (arg === '--expect') {
      const value = argv[++i];
      if (value === undefined) usage('--expect needs a result (hex, - or @FILE)');
      options.expect = value;
    } else if (arg.startsWith('--')) {
      usage(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 3) usage();
  [options.module, options.operation, options.payload] = positional;
  return options;
}

function decodePayload(text) {
  if (text === '' || text === '-') return new Uint8Array(0);
  if (text.startsWith('@')) return new Uint8Array(readFileSync(text.slice(1)));
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) usage(`payload is not hex: ${text}`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function describeFailure(e) {
  // V8 reports wasm stack exhaustion as a RangeError ("Maximum call stack size exceeded"): a trap too.
  if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) return `trap: ${e.message}`;
  if (e instanceof Error) return `guest error: ${e.message}`;
  return `guest error: ${String(e)}`;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const require = createRequire(path.join(here, 'package.json'));
  let wapc;
  try {
    wapc = require('@wapc/host');
  } catch (e) {
    process.stderr.write(`cannot load @wapc/host (run "npm ci" in ${here}): ${e.message}\n`);
    process.exit(2);
  }

  let bytes;
  try {
    bytes = new Uint8Array(readFileSync(options.module));
  } catch (e) {
    process.stderr.write(`cannot read ${options.module}: ${e.message}\n`);
    process.exit(2);
  }
  const payload = decodePayload(options.payload);
  const expected = options.expect === undefined ? undefined : Buffer.from(decodePayload(options.expect));
  const check = (result) => {
    if (expected !== undefined && !expected.equals(Buffer.from(result))) {
      process.stderr.write(`unexpected result: ${Buffer.from(result).toString('hex')}\n`);
      process.exit(3);
    }
  };

  // @wapc/host prints __console_log text with console.log: keep stdout for the result.
  const printLog = (...args) => process.stderr.write(`console_log: ${args.join(' ')}\n`);
  let suppressed = 0;
  const countLog = () => {
    ++suppressed;
  };
  console.log = printLog;

  let host;
  try {
    host = await wapc.instantiate(bytes, options.hostCall);
  } catch (e) {
    process.stderr.write(`instantiate failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }

  let result;
  try {
    if (options.repeat > 0) {
      check(await host.invoke(options.operation, payload)); // warm-up (JIT tiers, first allocations)
      console.log = countLog;
      const start = process.hrtime.bigint();
      for (let i = 0; i < options.repeat; ++i) result = await host.invoke(options.operation, payload);
      const elapsed = process.hrtime.bigint() - start;
      console.log = printLog;
      check(result);
      if (suppressed > 0) process.stderr.write(`console_log lines suppressed: ${suppressed}\n`);
      process.stderr.write(
        `mean_ns_per_call=${(Number(elapsed) / options.repeat).toFixed(1)} calls=${options.repeat}\n`,
      );
    } else {
      result = await host.invoke(options.operation, payload);
      check(result);
    }
  } catch (e) {
    process.stderr.write(`${describeFailure(e)}\n`);
    process.exit(1);
  }
  process.stdout.write(`${Buffer.from(result).toString('hex')}\n`);
}

main().catch((e) => {
  process.stderr.write(`internal error: ${e && e.stack ? e.stack : String(e)}\n`);
  process.exit(2);
});
