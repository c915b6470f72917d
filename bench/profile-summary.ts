import { readFileSync } from 'node:fs';

/**
 * Summarizes a V8 CPU profile (`BENCH_CPU_PROF=dir npm run bench` writes one for Zerokey) by
 * where the time went: self time per package (node_modules), per Node.js internal area, the
 * project's own files, GC and idle; then the heaviest functions.
 *
 *   node dist/bench/profile-summary.js <file.cpuprofile> [top=25]
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function bucketOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`.replace(/^node:internal$/, 'node:internal');
  const own = /\/dist\/(src|bench|test)\/(.+?)\//.exec(url);
  return own ? `zerokey ${own[1]}/${own[2]}` : url;
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.js <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
const busy = total - idle;

const buckets = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  if (node.callFrame.functionName === '(idle)') continue;
  const bucket = bucketOf(node);
  buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
  const name = `${node.callFrame.functionName || '(anonymous)'} ${bucket}:${node.callFrame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
const top = Number(topArg ?? 25);
process.stdout.write(`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled\n\nself time by area (share of busy time)\n`);
for (const [bucket, us] of [...buckets].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${bucket}\n`);
process.stdout.write('\nheaviest functions (self time)\n');
for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${name}\n`);
