import { createHash } from 'node:crypto';
import { createServer, Server } from 'node:https';
import { Socket } from 'node:net';
import { AuthenticatorContext } from './authenticator.js';
import { ClusterState } from './cluster-state.js';
import { SimulatorFault } from './faults.js';
import { MintOptions, mintServiceAccountToken } from './mint.js';
import { createPki } from './pki.js';
import { handleRequest, HandlerDeps, SimulatorCounters } from './request-handler.js';
import { internalErrorStatus, sendJson } from './status.js';
import { generateSigningKey, publicJwk, SigningAlgorithm, SigningKey } from './tokens.js';

export interface SimulatorOptions {
  /** Service-account token signing key. Default RS256. */
  signingAlgorithm?: SigningAlgorithm;
  /** Default 'https://kubernetes.default.svc.cluster.local'. */
  issuer?: string;
  /** Default [issuer]. */
  apiAudiences?: string[];
  /** Default 0 (a free port). Always binds 127.0.0.1 only. */
  port?: number;
  /** Default true: no bearer means system:anonymous (403 on tokenreviews); false means 401. */
  anonymousAuth?: boolean;
  /** Default 'v1.31.0'. */
  gitVersion?: string;
  /** jwks_uri of the discovery document, like --service-account-jwks-uri. Default: the simulator's own URL. */
  jwksUri?: string;
  /** Serve the unauthenticated /_sim/* control endpoints (see control.ts). Default false. */
  control?: boolean;
}

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const REVIEWER_LIFETIME_SECONDS = 365 * 24 * 3600;
const KEEP_ALIVE_TIMEOUT_MS = 90_000;

/** An HTTPS imitation of kube-apiserver's TokenReview, version and issuer-discovery endpoints. */
export class KubernetesSimulator {
  readonly url: string;
  readonly port: number;
  readonly caPem: string;
  readonly otherCaPem: string;
  readonly issuer: string;
  readonly apiAudiences: string[];

  private readonly state = new ClusterState();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly liveCounters: SimulatorCounters = { tokenReviews: 0, jwksFetches: 0, tcpConnections: 0, tlsSessions: 0 };
  private clusterKey: SigningKey;
  private readonly previousKeys: SigningKey[] = [];
  private deps: HandlerDeps | undefined;
  private untrustedKey: SigningKey | undefined;
  private fault: SimulatorFault | null = null;
  private server: Server | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: SimulatorOptions,
    pki: { caPem: string; otherCaPem: string },
    port: number,
  ) {
    this.issuer = options.issuer ?? DEFAULT_ISSUER;
    this.apiAudiences = [...(options.apiAudiences ?? [this.issuer])];
    this.clusterKey = generateSigningKey(options.signingAlgorithm ?? 'RS256');
    this.caPem = pki.caPem;
    this.otherCaPem = pki.otherCaPem;
    this.port = port;
    this.url = `https://127.0.0.1:${port}`;
  }

  static async start(options: SimulatorOptions = {}): Promise<KubernetesSimulator> {
    const pki = await createPki();
    const server = createServer({ key: pki.serverKeyPem, cert: pki.serverCertPem, minVersion: 'TLSv1.2' });
    // kube-apiserver keeps idle connections 90 s; Node's 5 s default would race clients' keep-alive pools.
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const simulator = new KubernetesSimulator(options, pki, port);
    simulator.attach(server);
    return simulator;
  }

  /** A snapshot; tokenReviews counts every POST to tokenreviews, refused and faulted ones included. */
  get counters(): Readonly<SimulatorCounters> {
    return { ...this.liveCounters };
  }

  /** TCP connections open right now (a client's keep-alive pool shows here until it closes). */
  get openConnections(): number {
    return this.sockets.size;
  }

  resetCounters(): void {
    Object.assign(this.liveCounters, { tokenReviews: 0, jwksFetches: 0, tcpConnections: 0, tlsSessions: 0 });
  }

  /** One active fault at a time; null clears it. */
  setFault(fault: SimulatorFault | null): void {
    this.fault = fault;
  }

  /** Idempotent; labels, when given, replace the namespace's (plus kubernetes.io/metadata.name). */
  createNamespace(name: string, labels?: Record<string, string>): void {
    this.state.createNamespace(name, labels);
  }

  /** Lets a user or group name `get` namespaces (GET /api/v1/namespaces/<name>), like a ClusterRoleBinding would. */
  grantNamespaceRead(subject: string): void {
    this.state.grantNamespaceRead(subject);
  }

  /** Creates the namespace if needed. Creating an existing account replaces it with a new UID. */
  createServiceAccount(namespace: string, name: string): { uid: string } {
    return { uid: this.state.createServiceAccount(namespace, name).uid };
  }

  deleteServiceAccount(namespace: string, name: string): void {
    this.state.deleteServiceAccount(namespace, name);
  }

  /** `nodeName` defaults to 'node-a' (pods that run are scheduled); pass '' for an unscheduled pod. */
  createPod(namespace: string, name: string, serviceAccount: string, nodeName = 'node-a'): { uid: string } {
    return { uid: this.state.createPod(namespace, name, serviceAccount, nodeName || undefined).uid };
  }

  deletePod(namespace: string, name: string): void {
    this.state.deletePod(namespace, name);
  }

  /** A ClusterRoleBinding to system:auth-delegator for a user name or a group name. */
  bindAuthDelegator(username: string): void {
    this.state.bindAuthDelegator(username);
  }

  unbindAuthDelegator(username: string): void {
    this.state.unbindAuthDelegator(username);
  }

  /** Like a --token-auth-file line; system:authenticated is added to the groups. */
  addStaticToken(token: string, user: { username: string; uid?: string; groups?: string[] }): void {
    this.state.addStaticToken(token, user);
  }

  /**
   * A new service-account signing key, as an API server restarted with a new
   * --service-account-signing-key-file: new tokens carry its kid, the JWKS lists it first, and
   * the old key keeps verifying (and stays listed) unless `dropOld`.
   */
  rotateSigningKey(options: { dropOld?: boolean } = {}): void {
    if (!options.dropOld) this.previousKeys.unshift(this.clusterKey);
    this.clusterKey = generateSigningKey(this.clusterKey.alg);
    if (this.deps) {
      this.deps.auth.clusterKey = this.clusterKey;
      this.deps.jwks.keys = [this.clusterKey, ...this.previousKeys].map(publicJwk);
    }
  }

  mint(options: MintOptions): string {
    return mintServiceAccountToken(
      {
        state: this.state,
        issuer: this.issuer,
        apiAudiences: this.apiAudiences,
        clusterKey: this.clusterKey,
        foreignKey: () => (this.untrustedKey ??= generateSigningKey(this.clusterKey.alg)),
      },
      options,
    );
  }

  /**
   * Creates (if missing) the service account, binds it to system:auth-delegator and returns a token
   * for it with the API audiences, valid for a year.
   */
  createReviewer(namespace = 'auth', name = 'reviewer'): string {
    if (!this.state.getServiceAccount(namespace, name)) this.state.createServiceAccount(namespace, name);
    this.state.bindAuthDelegator(`system:serviceaccount:${namespace}:${name}`);
    return this.mint({ namespace, serviceAccount: name, lifetimeSeconds: REVIEWER_LIFETIME_SECONDS });
  }

  /** Closes the listener and destroys every open socket, hung ones included. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      const server = this.server;
      if (!server) return resolve();
      server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
    return this.stopping;
  }

  private attach(server: Server): void {
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.liveCounters.tcpConnections++;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', () => {
      this.liveCounters.tlsSessions++;
    });
    // Handshakes a client aborts (wrong CA) are normal in tests; the socket is already being torn down.
    server.on('tlsClientError', () => undefined);
    const deps = (this.deps = this.handlerDeps());
    server.on('request', (req, res) => {
      handleRequest(deps, req, res).catch((error: unknown) => {
        sendJson(res, 500, internalErrorStatus(error instanceof Error ? error.message : String(error)));
      });
    });
  }

  private handlerDeps(): HandlerDeps {
    const auth: AuthenticatorContext = {
      state: this.state,
      issuer: this.issuer,
      apiAudiences: this.apiAudiences,
      clusterKey: this.clusterKey,
      previousKeys: this.previousKeys,
    };
    return {
      auth,
      anonymousAuth: this.options.anonymousAuth ?? true,
      versionInfo: versionInfo(this.options.gitVersion ?? 'v1.31.0'),
      openIdConfiguration: {
        issuer: this.issuer,
        // Without --service-account-jwks-uri the API server names its own external address.
        jwks_uri: this.options.jwksUri ?? `${this.url}/openid/v1/jwks`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [this.clusterKey.alg],
      },
      jwks: { keys: [publicJwk(this.clusterKey)] },
      control: this.options.control ?? false,
      counters: this.liveCounters,
      getFault: () => this.fault,
      setFault: (fault) => this.setFault(fault),
      mint: (options) => this.mint(options),
      delay: (ms) =>
        new Promise<void>((resolve) => {
          if (this.stopping) return;
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            resolve();
          }, ms);
          this.timers.add(timer);
        }),
    };
  }
}

function versionInfo(gitVersion: string): Record<string, string> {
  const match = /^v(\d+)\.(\d+)/.exec(gitVersion);
  const major = match?.[1] ?? '';
  const minor = match?.[2] ?? '';
  // Since 1.33 the version also names the emulated and the oldest compatible version (one minor back).
  const compatibility: Record<string, string> = Number(minor) >= 33 ? { emulationMajor: major, emulationMinor: minor, minCompatibilityMajor: major, minCompatibilityMinor: String(Number(minor) - 1) } : {};
  return {
    major,
    minor,
    ...compatibility,
    gitVersion,
    // Stable per version, shaped like a commit id; not a real one.
    gitCommit: createHash('sha1').update(gitVersion).digest('hex'),
    gitTreeState: 'clean',
    buildDate: '2024-08-13T07:28:49Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}
