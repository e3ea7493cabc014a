// Types of scripts/nanodet-input-size.mjs (plain JavaScript, so that scripts/bundle-models.mjs can
// run it with node alone at setup).
export interface TfjsGraphJson {
  modelTopology: unknown;
  signature?: unknown;
  weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
  [key: string]: unknown;
}
export function nanodetInputSide(json: TfjsGraphJson): number;
export function resizeNanodetGraph(
  json: TfjsGraphJson,
  weights: Uint8Array,
  side: number,
): { json: TfjsGraphJson; weights: Buffer };
export function writeNanodetAtSide(srcDir: string, destDir: string, side: number, name: string): void;
export function withInputSize<T extends object>(config: T, side: number): T;
