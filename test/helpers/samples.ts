/**
 * Known tensor values per datatype for identity round trips: each set hits the edges of its type
 * (extremes, sign, zero, subnormals, multi-byte UTF-8) and is exactly representable, so a round
 * trip must return the very same values. Shape [2, 3]: a batch of two rows of three.
 */
import { type JsonElement, type OipDatatype } from './oip-wire.js';

export const SAMPLE_SHAPE = [2, 3] as const;

export const SAMPLES: Record<OipDatatype, readonly JsonElement[]> = {
  BOOL: [true, false, true, true, false, false],
  UINT8: [0, 1, 127, 128, 254, 255],
  UINT16: [0, 1, 256, 4660, 32768, 65535],
  UINT32: [0, 1, 65536, 305419896, 2147483648, 4294967295],
  // JSON numbers are doubles: 64-bit values in JSON stay within ±(2^53 − 1) (the binary tests
  // below cover the full 64-bit range).
  UINT64: [0, 1, 4294967296, 123456789012, 2 ** 40, 2 ** 53 - 1],
  INT8: [-128, -1, 0, 1, 42, 127],
  INT16: [-32768, -1, 0, 1, 1234, 32767],
  INT32: [-2147483648, -1, 0, 1, 123456, 2147483647],
  INT64: [-(2 ** 53 - 1), -1, 0, 1, 1e12, 2 ** 53 - 1],
  FP16: [0, 1, -2, 0.5, 65504, 0.333251953125],
  BF16: [0, 1, -2, 0.5, 3.3895313892515355e38, 0.333984375],
  FP32: [0, 1.5, -2.25, Math.fround(0.1), 3.4028234663852886e38, 1.401298464324817e-45],
  FP64: [0, 0.1, -1e308, 5e-324, Math.PI, 123456.789],
  BYTES: ['héllo', '', '日本語', 'a b "quoted"', '😀', 'x'],
};

/** Full-range 64-bit values, exact only in binary (or gRPC) form. */
export const WIDE_SAMPLES: Partial<Record<OipDatatype, readonly bigint[]>> = {
  UINT64: [0n, 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n],
  INT64: [-(2n ** 63n), -(2n ** 53n) - 1n, -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n],
};

/** The identity fixture model of a datatype (models/fixtures/identity_<dtype>). */
export const identityModel = (datatype: OipDatatype): string => `identity_${datatype.toLowerCase()}`;

/** What decodeElements yields for these JSON values (64-bit integers as bigint). */
export function asDecoded(datatype: OipDatatype, values: readonly JsonElement[]): (JsonElement | bigint)[] {
  return values.map((v) => (datatype === 'UINT64' || datatype === 'INT64' ? BigInt(v as number) : v));
}
