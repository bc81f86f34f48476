// An outside lattice client for tests/unit/lattice/lattice_interop_test.cc: speaks wasmCloud 0.18's lattice protocol
// (docs: /work/shared/spec §6-7) with its own code — npm `nats` for the connection, `@msgpack/msgpack` for RPC
// payloads, `nkeys.js` + node:crypto for keys, hashes and the invocation JWT — and none of stratus's codecs.
//
//   node lattice_client.mjs NODE_MODULES COMMAND ARGS...      (SERVER is "host:port")
//   keygen server|cluster                          → {seed, public_key}
//   request SERVER SUBJECT BODY [timeout_ms]       → the first reply, parsed as JSON (exit 4 on no reply)
//   collect SERVER SUBJECT BODY [ms]               → [every reply within ms, parsed]
//   events SERVER NS MS [KIND]                     → prints {"ready":true} once subscribed, then [every event
//                                                    within MS, or up to and including the first of KIND]
//   advert SERVER SUBJECT LINKJSON                 → publishes a msgpack LinkDefinition; {published: true}
//   invoke SERVER NS TARGET_JSON OPERATION PAYLOAD_BASE64 SIGNER_SEED [--tamper KIND] [--host-id KEY] [--other PK]
//       Builds, signs and sends an Invocation from the system origin ({0: "system"}, as 0.18's SYSTEM_ACTOR);
//       prints {sent_id, subject, response: {msg_text, msg_base64, msg_bytes, msg_encoding, error, has_error_key,
//       invocation_id, keys}} (exit 4 on no reply). TARGET_JSON is {"actor": "M…"} or
//       {"provider": {"id", "contract_id", "link_name"}}. --tamper: msg | operation (Echo<->Count after signing) |
//       target (target := actor --other after signing, sent to its subject) | replay (unchanged, sent to actor
//       --other's subject) | url (claims target_url names actor --other; hash correct) | sub | expired | nbf |
//       issuer (host_id := another fresh server key). --host-id: host_id to send (default: the signer's key).
// Exit status: 0 ok, 2 bad usage, 3 a package is missing, 4 no reply.
import { createRequire } from "node:module";
import crypto from "node:crypto";
import path from "node:path";

const [modules, command, ...args] = process.argv.slice(2);
const usage = (why) => {
  console.error(`lattice_client.mjs: ${why}`);
  process.exit(2);
};
if (!modules || !command) usage("usage: lattice_client.mjs NODE_MODULES COMMAND ARGS...");

const load = (name) => {
  try {
    return createRequire(import.meta.url)(path.resolve(modules, name));
  } catch (e) {
    console.error(`cannot load ${name} from ${modules}: ${e.message.split("\n")[0]}; run scripts/install-deps.sh --test`);
    process.exit(3);
  }
};
const nats = load("nats");
const msgpack = load("@msgpack/msgpack");
const nkeys = load("nkeys.js");

const out = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const text = new TextDecoder();
const utf8 = new TextEncoder();
const parseJson = (bytes) => {
  const s = text.decode(bytes);
  try {
    return JSON.parse(s);
  } catch {
    return { __unparsed: s };
  }
};
const connect = (server) => nats.connect({ servers: server, name: "stratus interop client (node)" });

// ---- msgpack by hand where @msgpack/msgpack cannot go: rmp-serde writes enum variants as integer map keys ----
const mapHeader = (n) => (n < 16 ? Uint8Array.of(0x80 | n) : Uint8Array.of(0xde, n >> 8, n & 0xff));
// A map whose entries are [key, already-encoded value bytes]; keys may be strings or integers.
const encodeMap = (entries) =>
  Buffer.concat([mapHeader(entries.length), ...entries.flatMap(([k, v]) => [msgpack.encode(k), v])]);
// WasmCloudEntity: Actor = {0: "M…"}, Capability = {1: {id, contract_id, link_name}}.
const encodeEntity = (e) =>
  e.actor !== undefined
    ? encodeMap([[0, msgpack.encode(e.actor)]])
    : encodeMap([[1, msgpack.encode({ id: e.provider.id, contract_id: e.provider.contract_id, link_name: e.provider.link_name })]]);

// ---- URLs, hash and JWT as wasmCloud 0.18 (dispatch.rs, wascap jwt.rs) ----
const entityUrl = (e) =>
  e.actor !== undefined
    ? `wasmbus://${e.actor}`
    : `wasmbus://${e.provider.contract_id.replaceAll(":", "/").replaceAll(" ", "_").toLowerCase()}/` +
      `${e.provider.link_name.replaceAll(" ", "_").toLowerCase()}/${e.provider.id}`;
const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const hexUpperSha256 = (...parts) => {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex").toUpperCase();
};
const nuid = () => {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return Array.from(crypto.randomBytes(22), (b) => alphabet[b % 62]).join("");
};
// Claims in serde's field order: exp?, jti, iat, iss, sub, nbf?, wascap.
function signJwt(signer, { sub, targetUrl, originUrl, hash, exp, nbf }) {
  const claims = {};
  if (exp !== undefined) claims.exp = exp;
  Object.assign(claims, { jti: nuid(), iat: Math.floor(Date.now() / 1000), iss: signer.getPublicKey(), sub });
  if (nbf !== undefined) claims.nbf = nbf;
  claims.wascap = { target_url: targetUrl, origin_url: originUrl, hash };
  const signingInput = `${b64url(utf8.encode('{"typ":"jwt","alg":"Ed25519"}'))}.${b64url(utf8.encode(JSON.stringify(claims)))}`;
  return `${signingInput}.${b64url(signer.sign(utf8.encode(signingInput)))}`;
}

const subjectOf = (ns, e) =>
  e.actor !== undefined ? `wasmbus.rpc.${ns}.${e.actor}` : `wasmbus.rpc.${ns}.${e.provider.id}.${e.provider.link_name}`;

function options(list) {
  const o = {};
  for (let i = 0; i < list.length; i += 2) {
    if (!list[i].startsWith("--") || list[i + 1] === undefined) usage(`bad option ${list[i]}`);
    o[list[i].slice(2)] = list[i + 1];
  }
  return o;
}

async function invoke([server, ns, targetJson, operation, payloadB64, seed, ...rest]) {
  if (!seed) usage("invoke SERVER NS TARGET_JSON OPERATION PAYLOAD_BASE64 SIGNER_SEED [options]");
  const opts = options(rest);
  const tamper = opts.tamper ?? "";
  const known = ["", "msg", "operation", "target", "replay", "url", "sub", "expired", "nbf", "issuer"];
  if (!known.includes(tamper)) usage(`unknown --tamper ${tamper}`);
  if (["target", "replay", "url"].includes(tamper) && !opts.other) usage(`--tamper ${tamper} needs --other PK`);
  const signer = nkeys.fromSeed(utf8.encode(seed));
  const origin = { actor: "system" };
  let target = JSON.parse(targetJson);
  let msg = Buffer.from(payloadB64, "base64");
  const id = crypto.randomUUID();
  const originUrl = entityUrl(origin);
  const targetUrl = `${entityUrl(target)}/${operation}`;
  const hash = hexUpperSha256(originUrl, targetUrl, msg);
  const now = Math.floor(Date.now() / 1000);
  const claimedTargetUrl = tamper === "url" ? `${entityUrl({ actor: opts.other })}/${operation}` : targetUrl;
  const jwt = signJwt(signer, {
    sub: tamper === "sub" ? crypto.randomUUID() : id,
    targetUrl: claimedTargetUrl,
    originUrl,
    hash,
    exp: tamper === "expired" ? now - 120 : undefined,
    nbf: tamper === "nbf" ? now + 3600 : undefined,
  });
  let hostId = opts["host-id"] ?? signer.getPublicKey();
  if (tamper === "issuer") hostId = nkeys.createServer().getPublicKey();
  // Changes made after signing: the token no longer matches what is sent.
  if (tamper === "msg") msg = Buffer.concat([msg, utf8.encode("!")]);
  if (tamper === "operation") operation = operation === "Count" ? "Echo" : "Count";
  let subject = subjectOf(ns, target);
  if (tamper === "target") target = { actor: opts.other };
  if (tamper === "target" || tamper === "replay") subject = subjectOf(ns, { actor: opts.other });

  const invocation = encodeMap([
    ["origin", encodeEntity(origin)],
    ["target", encodeEntity(target)],
    ["operation", msgpack.encode(operation)],
    ["msg", msgpack.encode(Array.from(msg))], // Vec<u8> without serde_bytes: an array of integers
    ["id", msgpack.encode(id)],
    ["encoded_claims", msgpack.encode(jwt)],
    ["host_id", msgpack.encode(hostId)],
  ]);
  const nc = await connect(server);
  try {
    const reply = await nc.request(subject, invocation, { timeout: Number(opts.timeout ?? 5000) });
    const r = msgpack.decode(reply.data);
    const bytes = r.msg instanceof Uint8Array ? Buffer.from(r.msg) : Array.isArray(r.msg) ? Buffer.from(r.msg) : null;
    out({
      sent_id: id,
      subject,
      response: {
        msg_text: bytes ? bytes.toString("utf8") : null,
        msg_base64: bytes ? bytes.toString("base64") : null,
        msg_bytes: bytes ? Array.from(bytes) : null,
        msg_encoding: r.msg instanceof Uint8Array ? "bin" : Array.isArray(r.msg) ? "array" : typeof r.msg,
        error: r.error ?? null,
        has_error_key: Object.prototype.hasOwnProperty.call(r, "error"),
        invocation_id: r.invocation_id ?? null,
        keys: Object.keys(r),
      },
    });
  } catch (e) {
    out({ sent_id: id, subject, no_reply: String(e.message ?? e) });
    process.exitCode = 4;
  } finally {
    await nc.close();
  }
}

// Waits for `promise`, at most `ms` (the timer is cleared so that it keeps no process alive).
async function within(promise, ms) {
  let timer;
  await Promise.race([promise, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

// Request/reply by hand (an inbox of our own), so that every reply within the time is seen.
async function collect(server, subject, body, ms, firstOnly) {
  const nc = await connect(server);
  const inbox = nats.createInbox();
  const sub = nc.subscribe(inbox);
  const replies = [];
  const done = (async () => {
    for await (const m of sub) {
      replies.push(parseJson(m.data));
      if (firstOnly) break;
    }
  })();
  await nc.flush();
  nc.publish(subject, utf8.encode(body ?? ""), { reply: inbox });
  await within(done, ms);
  sub.unsubscribe();
  await nc.close();
  return replies;
}

async function events([server, ns, ms, until]) {
  const nc = await connect(server);
  const sub = nc.subscribe(`wasmbus.ctl.${ns}.events`);
  const got = [];
  const kind = (e) => (typeof e?.event === "string" ? e.event : Object.keys(e?.event ?? {})[0]);
  const ended = (async () => {
    for await (const m of sub) {
      got.push(parseJson(m.data));
      if (until && kind(got.at(-1)) === until) break;
    }
  })();
  await nc.flush();
  out({ ready: true });
  await within(ended, Number(ms));
  sub.unsubscribe();
  await nc.close();
  out(got);
}

async function advert([server, subject, linkJson]) {
  const link = JSON.parse(linkJson);
  // rmp-serde with_struct_map: a map keyed by field name, in declaration order.
  const bytes = msgpack.encode({
    actor_id: link.actor_id,
    provider_id: link.provider_id,
    link_name: link.link_name,
    contract_id: link.contract_id,
    values: link.values ?? {},
  });
  const nc = await connect(server);
  nc.publish(subject, bytes);
  await nc.flush();
  await nc.close();
  out({ published: true, bytes: bytes.length });
}

switch (command) {
  case "keygen": {
    const kp = args[0] === "cluster" ? nkeys.createCluster() : args[0] === "server" ? nkeys.createServer() : null;
    if (!kp) usage("keygen server|cluster");
    out({ seed: text.decode(kp.getSeed()), public_key: kp.getPublicKey() });
    break;
  }
  case "request": {
    const [server, subject, body, ms] = args;
    const replies = await collect(server, subject, body, Number(ms ?? 3000), true);
    if (replies.length === 0) {
      out({ no_reply: subject });
      process.exitCode = 4;
    } else {
      out(replies[0]);
    }
    break;
  }
  case "collect": {
    const [server, subject, body, ms] = args;
    out(await collect(server, subject, body, Number(ms ?? 1000), false));
    break;
  }
  case "events":
    await events(args);
    break;
  case "advert":
    await advert(args);
    break;
  case "invoke":
    await invoke(args);
    break;
  default:
    usage(`unknown command ${command}`);
}
