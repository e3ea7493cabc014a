/** Tables for the terminal and for docs/benchmarks.md, and the description of the machine. */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly date: string;
  /** 1-minute load average when the bench started: other work on a shared machine skews results. */
  readonly loadAverage: number;
}

/** Aggregate CPU jiffies from /proc/stat: [idle (idle + iowait), total]. */
function cpuJiffies(): [number, number] | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return [idle, v.reduce((a, b) => a + b, 0)];
  } catch {
    return undefined;
  }
}

/**
 * Share of the machine's CPU time that was idle over `ms` (NaN off Linux): how much of the
 * machine the bench can actually have, measured before it starts loading it.
 */
export async function sampleIdleShare(ms: number): Promise<number> {
  const a = cpuJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuJiffies();
  if (!a || !b || b[1] === a[1]) return NaN;
  return (b[0] - a[0]) / (b[1] - a[1]);
}

export const currentLoadAverage = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

export function describeMachine(now = new Date()): Machine {
  let cpuModel = 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpuModel = m[1].trim();
  } catch {
    // not Linux: leave unknown
  }
  return {
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    date: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAverage: currentLoadAverage(),
  };
}

export const machineLine = (m: Machine): string =>
  `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.date}, load average at start ${m.loadAverage}`;

export interface Table {
  readonly title: string;
  readonly note?: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | number>>;
}

export const fmt = {
  int: (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'),
  ms: (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–'),
  pct: (n: number): string => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : '–'),
  ratio: (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–'),
};

export function renderText(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map(String))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: ReadonlyArray<string | number>) =>
    r.map((c, i) => String(c).padEnd(widths[i] as number)).join('  ');
  return [
    `\n== ${t.title}`,
    ...(t.note ? [t.note] : []),
    line(t.columns),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...t.rows.map(line),
  ].join('\n');
}

export function renderMarkdown(t: Table): string {
  const esc = (c: string | number) => String(c).replace(/\|/g, '\\|');
  return [
    `### ${t.title}`,
    '',
    ...(t.note ? [t.note, ''] : []),
    `| ${t.columns.map(esc).join(' | ')} |`,
    `| ${t.columns.map(() => '---').join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
  ].join('\n');
}

const START = '<!-- bench:results:start (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

/**
 * Replaces the generated block of docs/benchmarks.md, keeping the prose around it. A file without
 * the markers gets the block appended.
 */
export function writeResults(path: string, generated: string): void {
  const block = `${START}\n${generated.trimEnd()}\n${END}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const s = current.indexOf(START);
  const e = current.indexOf(END);
  const next =
    s >= 0 && e > s
      ? `${current.slice(0, s)}${block}${current.slice(e + END.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
