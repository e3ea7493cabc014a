/**
 * Synthetic black-box functions with known global minima, for testing and benchmarking
 * samplers (definitions as in Surjanovic & Bingham's Virtual Library of Simulation Experiments
 * and Dixon & Szegő 1978). Optima are those of docs known-answers (§2.1).
 */
import { KaleidoError } from '../errors.js';

export interface BenchmarkFunction {
  readonly name: string;
  /** [low, high] per dimension. */
  readonly bounds: readonly (readonly [number, number])[];
  /** The global minimum value. */
  readonly optimum: number;
  /** Known global minimisers (any one attains `optimum`). */
  readonly minimisers: readonly (readonly number[])[];
  evaluate(x: readonly number[]): number;
}

function checkDims(name: string, x: readonly number[], d: number): void {
  if (x.length !== d) {
    throw new KaleidoError('ERR_VALIDATION', `${name} takes ${d} coordinates, got ${x.length}`, {
      details: { function: name, expected: d, got: x.length },
    });
  }
}

const at = (x: readonly number[], i: number): number => x[i] as number;

export const branin: BenchmarkFunction = {
  name: 'branin',
  bounds: [
    [-5, 10],
    [0, 15],
  ],
  optimum: 0.397887,
  minimisers: [
    [-Math.PI, 12.275],
    [Math.PI, 2.275],
    [9.42478, 2.475],
  ],
  evaluate(x) {
    checkDims('branin', x, 2);
    const a = 1;
    const b = 5.1 / (4 * Math.PI * Math.PI);
    const c = 5 / Math.PI;
    const r = 6;
    const s = 10;
    const t = 1 / (8 * Math.PI);
    const x1 = at(x, 0);
    const x2 = at(x, 1);
    return a * (x2 - b * x1 * x1 + c * x1 - r) ** 2 + s * (1 - t) * Math.cos(x1) + s;
  },
};

function hartmann(
  name: string,
  alpha: readonly number[],
  A: readonly (readonly number[])[],
  P: readonly (readonly number[])[],
  x: readonly number[],
): number {
  const d = (A[0] as readonly number[]).length;
  checkDims(name, x, d);
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    const Ai = A[i] as readonly number[];
    const Pi = P[i] as readonly number[];
    for (let j = 0; j < d; j++) inner += at(Ai, j) * (at(x, j) - at(Pi, j) * 1e-4) ** 2;
    sum += at(alpha, i) * Math.exp(-inner);
  }
  return -sum;
}

const HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2];

const H3_A = [
  [3.0, 10, 30],
  [0.1, 10, 35],
  [3.0, 10, 30],
  [0.1, 10, 35],
];
const H3_P = [
  [3689, 1170, 2673],
  [4699, 4387, 7470],
  [1091, 8732, 5547],
  [381, 5743, 8828],
];

export const hartmann3: BenchmarkFunction = {
  name: 'hartmann3',
  bounds: [
    [0, 1],
    [0, 1],
    [0, 1],
  ],
  optimum: -3.86278,
  minimisers: [[0.114614, 0.555649, 0.852547]],
  evaluate: (x) => hartmann('hartmann3', HARTMANN_ALPHA, H3_A, H3_P, x),
};

const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];

export const hartmann6: BenchmarkFunction = {
  name: 'hartmann6',
  bounds: Array.from({ length: 6 }, () => [0, 1] as const),
  optimum: -3.32237,
  minimisers: [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]],
  evaluate: (x) => hartmann('hartmann6', HARTMANN_ALPHA, H6_A, H6_P, x),
};

export const sixHumpCamel: BenchmarkFunction = {
  name: 'six-hump-camel',
  bounds: [
    [-3, 3],
    [-2, 2],
  ],
  optimum: -1.031628,
  minimisers: [
    [0.0898, -0.7126],
    [-0.0898, 0.7126],
  ],
  evaluate(x) {
    checkDims('six-hump-camel', x, 2);
    const x1 = at(x, 0);
    const x2 = at(x, 1);
    return (4 - 2.1 * x1 ** 2 + x1 ** 4 / 3) * x1 ** 2 + x1 * x2 + (-4 + 4 * x2 ** 2) * x2 ** 2;
  },
};

export const goldsteinPrice: BenchmarkFunction = {
  name: 'goldstein-price',
  bounds: [
    [-2, 2],
    [-2, 2],
  ],
  optimum: 3,
  minimisers: [[0, -1]],
  evaluate(x) {
    checkDims('goldstein-price', x, 2);
    const x1 = at(x, 0);
    const x2 = at(x, 1);
    const a = 1 + (x1 + x2 + 1) ** 2 * (19 - 14 * x1 + 3 * x1 ** 2 - 14 * x2 + 6 * x1 * x2 + 3 * x2 ** 2);
    const b =
      30 + (2 * x1 - 3 * x2) ** 2 * (18 - 32 * x1 + 12 * x1 ** 2 + 48 * x2 - 36 * x1 * x2 + 27 * x2 ** 2);
    return a * b;
  },
};

/** Styblinski–Tang in d dimensions: minimum −39.16617·d at xᵢ = −2.903534. */
export function styblinskiTang(d: number): BenchmarkFunction {
  if (!Number.isSafeInteger(d) || d < 1) {
    throw new KaleidoError('ERR_VALIDATION', 'Styblinski-Tang needs a dimension ≥ 1', { details: { d } });
  }
  return {
    name: `styblinski-tang-${d}`,
    bounds: Array.from({ length: d }, () => [-5, 5] as const),
    optimum: -39.16617 * d,
    minimisers: [new Array<number>(d).fill(-2.903534)],
    evaluate(x) {
      checkDims(`styblinski-tang-${d}`, x, d);
      let s = 0;
      for (const xi of x) s += xi ** 4 - 16 * xi ** 2 + 5 * xi;
      return s / 2;
    },
  };
}

export const BENCHMARKS: readonly BenchmarkFunction[] = [
  branin,
  hartmann3,
  hartmann6,
  sixHumpCamel,
  goldsteinPrice,
];
