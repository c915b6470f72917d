import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The bare job, for `npm run bench` to measure Zerokey against: the same essential work with no
 * framework, no ORM and no validation library. Login = read the JSON body, pre-check the JWT
 * locally (service-account claims, audience), one TokenReview over a keep-alive pool, check the
 * reviewed user, sign an ES256 JWT, insert a token row and an audit row in one SQLite WAL
 * transaction. Guard (`GET /self`) = verify the ES256 bearer (remembering verified ones, as
 * Zerokey does), read the token row, count the use. No error handling beyond what the benchmark needs.
 *
 *   node dist/bench/bare.js --cluster <url> --ca-file <pem> --reviewer-token <jwt>
 *
 * prints {"url": "http://127.0.0.1:<port>"} and serves until killed.
 */
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const cluster = new URL('/apis/authentication.k8s.io/v1/tokenreviews', args.get('cluster'));
const reviewerToken = args.get('reviewer-token')!;
const agent = new Agent({ keepAlive: true, maxSockets: 16, ca: readFileSync(args.get('ca-file')!, 'utf8') });

const db = new Database(join(mkdtempSync(join(tmpdir(), 'zerokey-bare-')), 'bare.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE tokens (id TEXT PRIMARY KEY, identityId TEXT, numUses INTEGER, createdAt TEXT, expiresAt TEXT, revokedAt TEXT, subject TEXT)');
db.exec('CREATE TABLE audit (id INTEGER PRIMARY KEY, identityId TEXT, event TEXT, ip TEXT, metadata TEXT, createdAt TEXT)');
const insertToken = db.prepare('INSERT INTO tokens VALUES (?, ?, 0, ?, ?, NULL, ?)');
const insertAudit = db.prepare('INSERT INTO audit (identityId, event, ip, metadata, createdAt) VALUES (?, ?, ?, ?, ?)');
const writeLogin = db.transaction((row: unknown[], audit: unknown[]) => {
  insertToken.run(...row);
  insertAudit.run(...audit);
});
const readToken = db.prepare('SELECT id, identityId, revokedAt FROM tokens WHERE id = ?');
const countUse = db.prepare('UPDATE tokens SET numUses = numUses + 1 WHERE id = ? AND revokedAt IS NULL');

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingKey: KeyObject = createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
const publicKey = createPublicKey(signingKey);
const verified = new Map<string, { jti: string; exp: number }>();

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const payloadOf = (jwt: string): Record<string, unknown> => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));

function tokenReview(jwt: string): Promise<{ status?: { authenticated?: boolean; user?: { username?: string; uid?: string } } }> {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: jwt, audiences: ['zerokey'] } });
  return new Promise((resolve, reject) => {
    const req = request(cluster, { method: 'POST', agent, headers: { authorization: `Bearer ${reviewerToken}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function reply(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const { identityId, jwt } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { identityId: string; jwt: string };
  const claims = payloadOf(jwt) as { aud?: string[]; 'kubernetes.io'?: { namespace?: string; serviceaccount?: { name?: string } } };
  const namespace = claims['kubernetes.io']?.namespace;
  const name = claims['kubernetes.io']?.serviceaccount?.name;
  if (!namespace || !name || !claims.aud?.includes('zerokey')) return reply(res, 401, { error: 'InvalidServiceAccountToken' });
  const review = await tokenReview(jwt);
  if (review.status?.authenticated !== true || review.status.user?.username !== `system:serviceaccount:${namespace}:${name}`) return reply(res, 401, { error: 'ServiceAccountTokenRejected' });
  const jti = randomUUID();
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + 3600;
  const input = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'bare' })}.${b64({ sub: identityId, jti, iat, exp, iss: 'http://bare' })}`;
  const accessToken = `${input}.${sign('sha256', Buffer.from(input), { key: signingKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  const now = new Date().toISOString();
  writeLogin([jti, identityId, now, new Date(exp * 1000).toISOString(), JSON.stringify({ namespace, name, uid: review.status.user.uid })], [identityId, 'kubernetes-auth.login', req.socket.remoteAddress, JSON.stringify({ namespace, serviceAccountName: name }), now]);
  reply(res, 200, { accessToken, expiresIn: 3600, accessTokenMaxTTL: 3600, tokenType: 'Bearer' });
}

function self(req: IncomingMessage, res: ServerResponse): void {
  const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  let claims = verified.get(token);
  if (!claims) {
    const [h, p, s] = token.split('.');
    if (!s || !verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) return reply(res, 401, { error: 'InvalidAccessToken' });
    claims = payloadOf(token) as { jti: string; exp: number };
    verified.set(token, claims);
  }
  if (claims.exp <= Date.now() / 1000) return reply(res, 401, { error: 'AccessTokenExpired' });
  const row = readToken.get(claims.jti) as { id: string; identityId: string; revokedAt: string | null } | undefined;
  if (!row || row.revokedAt) return reply(res, 401, { error: 'AccessTokenRevoked' });
  countUse.run(row.id);
  reply(res, 200, { type: 'identity', identity: { id: row.identityId } });
}

const server = createServer((req, res) => {
  const route = req.method === 'POST' && req.url === '/login' ? login(req, res) : req.method === 'GET' && req.url === '/self' ? (self(req, res), undefined) : reply(res, 404, { error: 'NotFound' });
  Promise.resolve(route).catch((error: Error) => reply(res, 500, { error: error.message }));
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
});
