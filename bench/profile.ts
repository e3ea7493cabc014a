/**
 * Profiles the server under one steady load: starts the server child under `node --cpu-prof`,
 * drives one model over one protocol with a closed loop, stops the server (which writes the
 * profile) and prints where its CPU time went, by function (self time) and by package/file.
 *
 *   npx tsx bench/profile.ts [--model identity_fp32] [--protocol http-binary|http-json|grpc|health]
 *                            [--concurrency 64] [--seconds 8] [--out /tmp/kaleido-prof] [--top 30]
 *
 * Open the .cpuprofile it names in Chrome DevTools (Performance → Load profile) for the full tree.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { closedLoop, type LoadResult } from '../src/cli/loadgen.js';
import { createClient, createHealthProbe, workload, type Protocol } from './lib/protocols.js';
import { startServer } from './lib/server-process.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'identity_fp32' },
    protocol: { type: 'string', default: 'http-binary' },
    concurrency: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '8' },
    out: { type: 'string', default: join(tmpdir(), 'kaleido-prof') },
    top: { type: 'string', default: '30' },
  },
});

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function and per "area" (a package under node_modules, or a file of ours). */
export function summarise(profile: CpuProfile, top: number, requests: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  for (const [id, us] of self) {
    const f = (byId.get(id) as ProfileNode).callFrame;
    const url = f.url.replace(/^file:\/\//, '');
    const short = url.includes('node_modules/')
      ? url.slice(url.lastIndexOf('node_modules/') + 13)
      : url.replace(`${process.cwd()}/`, '');
    const fn = `${f.functionName || '(anonymous)'} ${short ? `${short}:${f.lineNumber + 1}` : ''}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    const area = m ? (m[1] as string) : short ? short : `(${f.functionName || 'native'})`;
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  // Inclusive time per function: a node's self time plus its subtree's, counted once per function
  // even when the function appears again further down its own subtree (recursion).
  const inclusive = new Map<string, number>();
  const nameOf = (n: ProfileNode): string => {
    const url = n.callFrame.url.replace(/^file:\/\//, '');
    const short = url.includes('node_modules/')
      ? url.slice(url.lastIndexOf('node_modules/') + 13)
      : url.replace(`${process.cwd()}/`, '');
    return `${n.callFrame.functionName || '(anonymous)'} ${short}`.trim();
  };
  const subtree = (id: number, active: Set<string>): number => {
    const n = byId.get(id) as ProfileNode;
    const key = nameOf(n);
    const fresh = !active.has(key);
    if (fresh) active.add(key);
    let t = self.get(id) ?? 0;
    for (const c of n.children ?? []) t += subtree(c, active);
    if (fresh) {
      active.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + t);
    }
    return t;
  };
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  for (const n of profile.nodes) if (!childIds.has(n.id)) subtree(n.id, new Set());
  // esbuild's keepNames helper (the server runs from TypeScript through tsx): not in a tsc build.
  let helper = 0;
  for (const [k, us] of fns) if (k.startsWith('__name ')) helper += us;
  fns.set('(all __name calls: tsx/esbuild keepNames helper)', helper);
  const ours = new Map(
    [...inclusive].filter(([k]) => / (src|bench)\//.test(k) || /^(writev|\(garbage collector\))/.test(k)),
  );
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${(us / requests).toFixed(1).padStart(6)} µs/req  ${k}`,
      )
      .join('\n');
  return `total sampled ${(total / 1e6).toFixed(1)} s, ${requests} requests (µs/req divides by these; start-up time is included in the totals)\n\n-- by area (self time)\n${rows(areas)}\n\n-- by function (self time)\n${rows(fns)}\n\n-- our functions, inclusive time (callees included)\n${rows(ours)}`;
}

async function main(): Promise<void> {
  const outDir = resolve(values.out as string);
  mkdirSync(outDir, { recursive: true });
  const before = new Set(readdirSync(outDir));
  const dataDir = mkdtempSync(join(tmpdir(), 'kaleido-prof-data-'));
  const model = values.model as string;
  const w =
    model === 'identity_fp32'
      ? workload(model, 'INPUT0', [1, 16], 'OUTPUT0', [1, 16])
      : model === 'mlp_large_fp32'
        ? workload(model, 'features', [1, 256], 'probabilities', [1, 10])
        : model === 'mlp_fp32'
          ? workload(model, 'features', [1, 64], 'probabilities', [1, 10])
          : undefined;
  if (!w) throw new Error(`no workload known for model ${model}`);
  let r: LoadResult | undefined;
  const server = await startServer({
    repository: 'models/fixtures',
    dataDir,
    startupModels: [model],
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${outDir}`],
  });
  try {
    // "health": GET /v2/health/ready, the HTTP floor under every request (no model involved).
    const client =
      values.protocol === 'health'
        ? { ...createHealthProbe(server.httpUrl, 256), verify: async () => undefined }
        : createClient(values.protocol as Protocol, server, w, 256);
    await client.verify();
    r = await closedLoop(() => client.infer(), {
      concurrency: Number(values.concurrency),
      durationMs: Number(values.seconds) * 1000,
      // No separate warm-up: every request sent is counted, so µs/req is exact (start-up and
      // JIT warm-up are in the totals; keep --seconds long enough to make them small).
      warmupMs: 0,
    });
    await client.close();
    console.log(
      `${values.protocol} ${model} c=${values.concurrency}: ${r.throughput.toFixed(0)}/s p50 ${r.p50Ms.toFixed(2)} p99 ${r.p99Ms.toFixed(2)} ms errors ${r.errors}`,
    );
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const fresh = readdirSync(outDir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f));
  for (const f of fresh) {
    console.log(`\nprofile ${join(outDir, f)}`);
    const requests = Math.max(1, (r?.requests ?? 0) + (r?.errors ?? 0));
    console.log(
      summarise(
        JSON.parse(readFileSync(join(outDir, f), 'utf8')) as CpuProfile,
        Number(values.top),
        requests,
      ),
    );
  }
}

await main();
