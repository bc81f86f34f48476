// A minimal token server for the Docker registry "token" auth scheme (distribution's docs/spec/auth/token.md), for
// the OCI registry fixture (tests/support/oci_registry.cc). Built-in modules only.
//
//   node oci_token_server.mjs --port P --key key.pem --cert cert.pem --user U --password PW \
//       --issuer ISSUER --service SERVICE
//
// GET /token?service=...&scope=repository:NAME:pull,push (scope may repeat, or hold several space-separated
// scopes) answers {"token", "access_token", "expires_in": 300, "issued_at"}: a JWT signed with key.pem (RS256 for an
// RSA key, ES256 for a P-256 key) whose header carries cert.pem in x5c, so that a registry with cert.pem as its
// rootcertbundle accepts it. HTTP Basic credentials equal to --user/--password get every action they ask for;
// requests without credentials get a token with no access at all; any other credentials get 401.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument: ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  for (const required of ['port', 'key', 'cert', 'issuer', 'service']) {
    if (args[required] === undefined) throw new Error(`missing --${required}`);
  }
  return args;
}

const args = parseArgs(process.argv.slice(2));
const key = crypto.createPrivateKey(fs.readFileSync(args.key));
const certificate = new crypto.X509Certificate(fs.readFileSync(args.cert));
const user = args.user ?? '';
const password = args.password ?? '';
const expiresIn = 300;

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

// distribution verifies the signature with libtrust: RS256 is PKCS#1 v1.5, ES256 is the raw r||s pair (JWS), not DER.
const alg = { rsa: 'RS256', ec: 'ES256' }[key.asymmetricKeyType];
if (!alg) throw new Error(`unsupported key type ${key.asymmetricKeyType} (an RSA or P-256 key is needed)`);
const sign = (input) => crypto.sign('sha256', input, alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);

function makeToken(subject, access) {
  const now = Math.floor(Date.now() / 1000);
  // x5c: the standard-base64 DER certificate chain; distribution verifies it up to a root of its rootcertbundle
  // (here the self-signed certificate itself) and takes the signing key from its first entry.
  const header = { typ: 'JWT', alg, x5c: [certificate.raw.toString('base64')] };
  const claims = {
    iss: args.issuer,
    sub: subject,
    aud: args.service,
    exp: now + expiresIn,
    nbf: now - 1,
    iat: now,
    jti: crypto.randomBytes(16).toString('hex'),
    access,
  };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(sign(Buffer.from(input)))}`;
}

// "repository:NAME:pull,push" -> {type, name, actions}; NAME may hold colons ("repository:host:5000/a:pull").
function parseScope(scope) {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return null;
  const actions = scope.slice(last + 1).split(',').filter((action) => action !== '');
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

// The Basic credentials of a request: null when it has none, {user, password} otherwise.
function credentials(request) {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match) return { user: undefined, password: undefined };
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { user: decoded, password: undefined };
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function reply(response, status, body, headers = {}) {
  response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

const server = http.createServer((request, response) => {
  const url = new URL(request.url, 'http://localhost');
  const log = (status, note) => console.log(`${request.method} ${request.url} -> ${status}${note ? ` (${note})` : ''}`);
  if (url.pathname !== '/token') {
    log(404);
    return reply(response, 404, { errors: [{ code: 'NOT_FOUND', message: `no ${url.pathname}` }] });
  }
  if (request.method !== 'GET') {
    log(405);
    return reply(response, 405, { errors: [{ code: 'UNSUPPORTED', message: 'only GET /token' }] }, { Allow: 'GET' });
  }
  const given = credentials(request);
  if (given !== null && (user === '' || given.user !== user || given.password !== password)) {
    log(401, `bad credentials for ${given.user}`);
    return reply(response, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] },
                 { 'WWW-Authenticate': 'Basic realm="stratus-test-token"' });
  }
  const access = [];
  if (given !== null) {
    for (const value of url.searchParams.getAll('scope')) {
      for (const scope of value.split(' ').filter((s) => s !== '')) {
        const parsed = parseScope(scope);
        if (parsed) access.push(parsed);
      }
    }
  }
  const token = makeToken(given === null ? '' : given.user, access);
  log(200, given === null ? 'anonymous: no access' : `${given.user}: ${JSON.stringify(access)}`);
  return reply(response, 200, {
    token,
    access_token: token,
    expires_in: expiresIn,
    issued_at: new Date().toISOString(),
  });
});

server.listen(Number(args.port), '127.0.0.1', () => console.log(`token server listening on 127.0.0.1:${args.port}`));
