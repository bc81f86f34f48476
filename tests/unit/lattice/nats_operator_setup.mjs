// Makes a NATS operator-mode (decentralized JWT) setup for the lattice's credential tests, with the nats-jwt
// package (independent of stratus): an operator, its system account, an account with JetStream and a user of it;
// writes into OUTDIR
//   server.conf   nats-server configuration (listen 127.0.0.1:PORT, the operator, a memory resolver)
//   user.creds    the user's credentials file (JWT + seed), as `nsc` writes it
//   user.jwt      the user's JWT alone, and user.seed its nkey seed
// Usage: node nats_operator_setup.mjs NODE_MODULES OUTDIR PORT
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const [modules, out, port] = process.argv.slice(2);
if (!modules || !out || !port) {
  console.error("usage: nats_operator_setup.mjs NODE_MODULES OUTDIR PORT");
  process.exit(2);
}
const require = createRequire(join(modules, "noop.js"));
const jwt = require("nats-jwt");

const operator = jwt.createOperator();
const system = jwt.createAccount();  // JetStream needs the server's system account
const account = jwt.createAccount();
const user = jwt.createUser();

const operatorJwt = await jwt.encodeOperator("stratus-test-operator", operator);
const accountJwt = await jwt.encodeAccount("stratus-test-account", account, {
  limits: { conn: -1, subs: -1, data: -1, payload: -1, imports: -1, exports: -1, leaf: -1, wildcards: true,
            mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 },
}, { signer: operator });
const systemJwt = await jwt.encodeAccount("SYS", system, {}, { signer: operator });
const userJwt = await jwt.encodeUser("stratus-test-user", user, account);

const decoder = new TextDecoder();
const accountKey = account.getPublicKey();
writeFileSync(join(out, "server.conf"), [
  `listen: 127.0.0.1:${port}`,
  `operator: ${operatorJwt}`,
  `system_account: ${system.getPublicKey()}`,
  `resolver: MEMORY`,
  `resolver_preload: {`,
  `  ${system.getPublicKey()}: ${systemJwt}`,
  `  ${accountKey}: ${accountJwt}`,
  `}`,
  `jetstream: { store_dir: "${join(out, "store")}" }`,
  ``,
].join("\n"));
writeFileSync(join(out, "user.creds"), jwt.fmtCreds(userJwt, user));
writeFileSync(join(out, "user.jwt"), userJwt);
writeFileSync(join(out, "user.seed"), decoder.decode(user.getSeed()));
console.log(JSON.stringify({ account: accountKey, user: user.getPublicKey() }));
