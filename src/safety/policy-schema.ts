/**
 * The YAML/JSON form of a moderation policy, validated with zod. Core's `Policy` type is the
 * output; every rejection is an ERR_BAD_CONFIG whose message starts with the offending field
 * (`rules[2].threshold: must be between 0 and 1`) and whose details carry the same `field`.
 */
import { z } from 'zod';
import { KaleidoError } from '../core/errors.js';
import type { Policy } from '../core/safety/policy/index.js';
import { ALL_ACTIONS } from '../core/safety/policy/index.js';
import { ALL_PII_ENTITIES } from '../core/safety/pii/types.js';
import { ALL_SAFETY_CATEGORIES } from '../core/safety/taxonomy.js';

const VERSION = /^\d+(?:\.\d+){0,2}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** "is required" when absent, otherwise the type message. */
const required =
  (typeMessage: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : typeMessage;

const unit = z
  .number({ error: required('must be a number between 0 and 1') })
  .min(0, { error: 'must be between 0 and 1' })
  .max(1, { error: 'must be between 0 and 1' });

const nonEmptyList = z.array(z.string().min(1, { error: 'must not be empty' }));

const operator = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('replace'), newValue: z.string().optional() }),
    z.strictObject({
      type: z.literal('mask'),
      maskingChar: z
        .string()
        .refine((s) => [...s].length === 1, { error: 'must be exactly one character' })
        .optional(),
      charsToMask: z.number().int({ error: 'must be a whole number' }).min(0).optional(),
      fromEnd: z.boolean().optional(),
      keepLast: z.number().int({ error: 'must be a whole number' }).min(0).optional(),
    }),
    z.strictObject({ type: z.literal('redact') }),
    z.strictObject({ type: z.literal('keep') }),
    z.strictObject({
      type: z.literal('hash'),
      keyRef: z
        .string({ error: required('must be a string') })
        .min(1, { error: 'must name a key (secrets never go in a policy)' }),
      encoding: z.enum(['hex', 'base64']).optional(),
      truncate: z.number().int().min(8, { error: 'must be at least 8' }).optional(),
    }),
    z.strictObject({
      type: z.literal('encrypt'),
      keyRef: z
        .string({ error: required('must be a string') })
        .min(1, { error: 'must name a key (secrets never go in a policy)' }),
    }),
  ],
  { error: 'must be one of replace, mask, redact, keep, hash, encrypt' },
);

const rule = z.strictObject({
  id: z
    .string({ error: required('must be a string') })
    .regex(ID, { error: 'must be 1–128 letters, digits, ".", "_" or "-"' }),
  category: z.enum(ALL_SAFETY_CATEGORIES as [string, ...string[]], {
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : `unknown category "${String(issue.input)}" (the taxonomy is in docs/safety-policies.md)`,
  }),
  threshold: unit,
  action: z.enum(ALL_ACTIONS as [string, ...string[]], {
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be one of ${ALL_ACTIONS.join(', ')}`,
  }),
  direction: z.enum(['input', 'output', 'both'], { error: 'must be input, output or both' }).default('both'),
});

const entityKeys = [...ALL_PII_ENTITIES, 'DEFAULT'] as const;

export const policySchema = z
  .strictObject(
    {
      id: z
        .string({ error: required('must be a string') })
        .regex(ID, { error: 'must be 1–128 letters, digits, ".", "_" or "-"' }),
      version: z
        .union([z.string(), z.number()], { error: required('must be a string such as "1.2.0"') })
        .transform((v, ctx) => {
          // YAML reads `version: 1.10` as the number 1.1: only whole numbers may be left unquoted.
          if (typeof v === 'number' && !Number.isInteger(v)) {
            ctx.addIssue({
              code: 'custom',
              message: 'quote a dotted version ("1.10"): YAML reads it as a number',
            });
            return z.NEVER;
          }
          const s = String(v);
          if (!VERSION.test(s)) {
            ctx.addIssue({
              code: 'custom',
              message: 'must be MAJOR, MAJOR.MINOR or MAJOR.MINOR.PATCH (digits)',
            });
            return z.NEVER;
          }
          return s;
        }),
      description: z.string().optional(),
      tenant: z.string().min(1, { error: 'must not be empty (leave it out for all tenants)' }).optional(),
      appliesTo: z
        .strictObject({ routes: nonEmptyList.optional(), pipelines: nonEmptyList.optional() })
        .default({}),
      failMode: z.enum(['closed', 'open'], { error: 'must be closed or open' }).default('closed'),
      failAction: z.enum(['block', 'review'], { error: 'must be block or review' }).optional(),
      requiredAnalyzers: nonEmptyList.optional(),
      rules: z.array(rule, { error: required('must be a list of rules') }),
      pii: z
        .strictObject({
          minScore: unit.optional(),
          entities: z.partialRecord(
            z.enum(entityKeys, { error: `must be a PII entity (${entityKeys.join(', ')})` }),
            operator,
          ),
        })
        .optional(),
    },
    {
      error: (issue) => (issue.code === 'invalid_type' ? 'a policy must be a mapping of fields' : undefined),
    },
  )
  .superRefine((p, ctx) => {
    const seen = new Map<string, number>();
    p.rules.forEach((r, i) => {
      const first = seen.get(r.id);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'id'],
          message: `duplicate rule id "${r.id}" (also rules[${first}])`,
        });
      } else seen.set(r.id, i);
    });
  });

/** `['rules', 2, 'threshold']` → `rules[2].threshold`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path)
    out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out === '' ? '(root)' : out;
}

/**
 * Validates a parsed policy document. `origin` (a file name) prefixes the message. Only the
 * first problem is reported: the message names one field to fix, which is what a person needs.
 */
export function parsePolicy(doc: unknown, origin?: string): Policy {
  const result = policySchema.safeParse(doc);
  if (!result.success) {
    const issue = result.error.issues[0] as z.core.$ZodIssue;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const field = formatPath([...issue.path, ...(keys.length > 0 ? [keys[0] as string] : [])]);
    const message =
      issue.code !== 'unrecognized_keys'
        ? issue.message
        : issue.path[issue.path.length - 1] === 'entities'
          ? `is not a PII entity type (${entityKeys.join(', ')})`
          : 'is not a policy field';
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `${origin !== undefined ? `${origin}: ` : ''}${field}: ${message}`,
      {
        details: { field, ...(origin !== undefined ? { file: origin } : {}) },
      },
    );
  }
  return result.data as Policy;
}
