/**
 * The AnalysisService behind POST /v1/analyze: modalities register their analyzers and pipelines
 * here (text now; audio, image and video the same way), and one `analyze` call detects the
 * content, runs the pipeline's DAG, applies the safety policy and answers in one shape.
 *
 * Honesty rules: an analyzer that is missing or failed is a stage with that status, never an
 * empty result; a safety analyzer that did not deliver is a policy input (fail-closed by
 * default); the verdict lists the safety analyzers the chosen pipeline left out.
 */
import type { Clock } from '../core/clock.js';
import { KaleidoError } from '../core/errors.js';
import {
  runPipeline,
  selectSteps,
  validatePipeline,
  type PipelineDefinition,
  type StepExecutor,
} from '../core/pipeline/index.js';
import type { Modality } from '../core/ports/analyzer.js';
import type { OperatorsByEntity, PiiCrypto } from '../core/safety/pii/index.js';
import { resolvePiiOperators, type Policy } from '../core/safety/policy/index.js';
import type { PolicyStore } from '../safety/policy-store.js';
import { resolveContent } from './content.js';
import { decide, safetyFailures } from './safety.js';
import type {
  AnalysisContent,
  AnalysisResponse,
  AnalyzeRequest,
  AnalyzerReport,
  DetectedContent,
  ModalityModule,
  PipelineSummary,
  RegisteredAnalyzer,
  StepOutput,
} from './types.js';

export interface AnalysisServiceOptions {
  readonly clock: Clock;
  readonly policies: PolicyStore;
  /** Tenant whose policies apply when a request names none (default "default"). */
  readonly tenant?: string;
  /** Route name policies are scoped by (default "analyze"). */
  readonly route?: string;
  /** Resolves a policy's `keyRef` (hash / encrypt PII operators) to key bytes. */
  readonly resolveKey?: (keyRef: string) => Uint8Array | undefined;
  readonly crypto?: PiiCrypto;
  /** Deadline of a step without its own timeout (default 10 000 ms). */
  readonly defaultStepTimeoutMs?: number;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class AnalysisService {
  private readonly modules = new Map<Modality, ModalityModule>();
  private readonly analyzersById = new Map<string, RegisteredAnalyzer>();
  private readonly pipelinesByName = new Map<string, PipelineDefinition>();
  private readonly operatorCache = new Map<string, OperatorsByEntity>();
  private initialised = false;

  constructor(private readonly options: AnalysisServiceOptions) {}

  /** Adds a modality; its pipelines are validated against every analyzer registered so far. */
  register(module: ModalityModule): void {
    if (this.modules.has(module.modality)) {
      throw new KaleidoError('ERR_BAD_CONFIG', `modality ${module.modality} is registered twice`, {
        details: { field: 'modality', modality: module.modality },
      });
    }
    if (!(Number.isInteger(module.maxBytes) && module.maxBytes > 0)) {
      throw new KaleidoError(
        'ERR_BAD_CONFIG',
        `modality ${module.modality}: maxBytes must be a positive integer`,
        {
          details: { field: 'maxBytes', modality: module.modality },
        },
      );
    }
    const ids = new Map(this.analyzersById);
    for (const a of module.analyzers) {
      if (a.modality !== module.modality || a.id !== `${a.modality}/${a.task}` || ids.has(a.id)) {
        throw new KaleidoError('ERR_BAD_CONFIG', `analyzer ${a.id} is misnamed or registered twice`, {
          details: { field: 'analyzers', analyzer: a.id },
        });
      }
      ids.set(a.id, a);
    }
    const names = new Set(this.pipelinesByName.keys());
    for (const p of module.pipelines) {
      validatePipeline(p, (id) => ids.has(id));
      if (p.modality !== module.modality || names.has(p.name)) {
        throw new KaleidoError('ERR_BAD_CONFIG', `pipeline ${p.name} is misplaced or registered twice`, {
          details: { field: 'pipelines', pipeline: p.name },
        });
      }
      names.add(p.name);
    }
    if (!module.pipelines.some((p) => p.name === module.defaultPipeline)) {
      throw new KaleidoError('ERR_BAD_CONFIG', `modality ${module.modality}: unknown default pipeline`, {
        details: { field: 'defaultPipeline', pipeline: module.defaultPipeline },
      });
    }
    this.modules.set(module.modality, module);
    for (const [id, a] of ids) this.analyzersById.set(id, a);
    for (const p of module.pipelines) this.pipelinesByName.set(p.name, p);
  }

  /**
   * Initialises every modality and checks that a policy (and its PII operators' keys) applies to
   * every pipeline, so a misconfiguration is a start-up error. Returns the availability report
   * main.ts logs ("which analyzers are available and why not").
   */
  async init(): Promise<AnalyzerReport[]> {
    for (const m of this.modules.values()) await m.init();
    for (const p of this.pipelinesByName.values()) this.operatorsFor(this.policyFor(p.name));
    this.initialised = true;
    return this.analyzers();
  }

  async close(): Promise<void> {
    this.initialised = false;
    for (const m of this.modules.values()) await m.close();
  }

  modalities(): Modality[] {
    return [...this.modules.keys()];
  }

  /** Largest body any registered modality accepts (the route's body limit). */
  maxBodyBytes(): number {
    return Math.max(0, ...[...this.modules.values()].map((m) => m.maxBytes));
  }

  analyzers(): AnalyzerReport[] {
    return [...this.analyzersById.values()].map((a) => {
      const d = a.describe();
      const s = a.status();
      return {
        id: a.id,
        modality: a.modality,
        task: a.task,
        model: d.model,
        version: d.version,
        ...(d.method === undefined ? {} : { method: d.method }),
        safety: a.safety,
        available: s.available,
        ...(s.reason === undefined ? {} : { reason: s.reason }),
        pipelines: [...this.pipelinesByName.values()]
          .filter((p) => p.steps.some((st) => st.analyzer === a.id))
          .map((p) => p.name),
      };
    });
  }

  pipelines(): PipelineSummary[] {
    return [...this.pipelinesByName.values()].map((p) => ({
      name: p.name,
      modality: p.modality,
      ...(p.description === undefined ? {} : { description: p.description }),
      default: this.modules.get(p.modality)?.defaultPipeline === p.name,
      steps: p.steps,
      complete: p.steps.every((s) => this.analyzersById.get(s.analyzer)?.status().available === true),
    }));
  }

  /** Detects the content's modality (bytes: magic bytes, checked against the declared type). */
  detect(content: AnalysisContent): { module: ModalityModule; detected: DetectedContent; mime: string } {
    if (content.kind === 'text') {
      const module = this.moduleFor('text', 'text/plain');
      return { module, detected: content, mime: 'text/plain' };
    }
    const r = resolveContent(content.bytes, content.declaredType);
    const module = this.moduleFor(r.modality, r.mime);
    if (content.bytes.length > module.maxBytes) {
      throw new KaleidoError(
        'ERR_PAYLOAD_TOO_LARGE',
        `${r.modality} content is limited to ${module.maxBytes} bytes`,
        { details: { modality: r.modality, bytes: content.bytes.length, maxBytes: module.maxBytes } },
      );
    }
    return {
      module,
      detected: { kind: 'bytes', bytes: content.bytes, mime: r.mime, sniffed: r.sniffed },
      mime: r.mime,
    };
  }

  async analyze(content: AnalysisContent, request: AnalyzeRequest = {}): Promise<AnalysisResponse> {
    if (!this.initialised) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'the analysis service is not initialised');
    }
    const { clock } = this.options;
    const started = clock.now();
    const { module, detected, mime } = this.detect(content);
    const pipeline = this.choosePipeline(module, request);
    const policy = this.policyFor(pipeline.name, request.tenant);
    const operators = this.operatorsFor(policy);
    const stepOptions = await this.parseStepOptions(pipeline, request.options);
    const input = await module.prepare(detected);

    const executor: StepExecutor<unknown> = {
      describe: (step) => {
        const a = this.analyzersById.get(step.analyzer);
        if (a === undefined)
          return { model: 'none', version: '', available: false, reason: 'not registered' };
        const s = a.status();
        return {
          ...a.describe(),
          available: s.available,
          ...(s.reason === undefined ? {} : { reason: s.reason }),
        };
      },
      run: (step, previous, signal) =>
        (this.analyzersById.get(step.analyzer) as RegisteredAnalyzer).run(input, previous, {
          signal,
          ...(stepOptions.has(step.id) ? { options: stepOptions.get(step.id) } : {}),
        }),
    };
    const run = await runPipeline(pipeline, executor, {
      clock,
      ...(this.options.defaultStepTimeoutMs === undefined
        ? {}
        : { defaultTimeoutMs: this.options.defaultStepTimeoutMs }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });

    const outputs: StepOutput[] = pipeline.steps.flatMap((s) =>
      run.results.has(s.id) ? [{ stepId: s.id, analyzer: s.analyzer, value: run.results.get(s.id) }] : [],
    );
    const safetyStarted = clock.now();
    const isSafety = (id: string): boolean => this.analyzersById.get(id)?.safety === true;
    const ran = new Set(pipeline.steps.map((s) => s.analyzer));
    const unchecked = module.analyzers.filter((a) => a.safety && !ran.has(a.id)).map((a) => a.task);
    const outcome = decide(
      policy,
      module.safetySignals(input, outputs),
      safetyFailures(run.stages, isSafety),
      {
        operators,
        ...(this.options.crypto === undefined ? {} : { crypto: this.options.crypto }),
        unchecked,
      },
    );
    const presented = module.present(input, outputs, outcome.disclosure);
    const safetyStage = {
      name: 'safety',
      analyzer: 'policy',
      model: policy.id,
      version: policy.version,
      ms: Math.max(0, clock.now() - safetyStarted),
      status: 'ok' as const,
    };

    const skipped: Record<string, unknown> = { ...presented.partial };
    for (const s of run.stages) {
      if (s.status !== 'ok') skipped[s.name] = { status: s.status, reason: s.error ?? s.status };
    }
    return {
      modality: module.modality,
      mime,
      pipeline: pipeline.name,
      tasks: pipeline.steps.map((s) => s.id),
      durationMs: Math.max(0, clock.now() - started),
      stages: [...run.stages, safetyStage],
      results: presented.results,
      skipped,
      safety: outcome.verdict,
      ...(outcome.text === undefined ? {} : { text: outcome.text }),
    };
  }

  private moduleFor(modality: Modality, mime: string): ModalityModule {
    const m = this.modules.get(modality);
    if (m === undefined) {
      throw new KaleidoError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        `the content is ${mime}, and this server has no ${modality} analyzers`,
        { details: { detected: mime, modality, supported: this.modalities() } },
      );
    }
    return m;
  }

  private choosePipeline(module: ModalityModule, request: AnalyzeRequest): PipelineDefinition {
    let def: PipelineDefinition;
    if (request.pipeline !== undefined) {
      const p = this.pipelinesByName.get(request.pipeline);
      if (p === undefined) {
        throw new KaleidoError('ERR_VALIDATION', `unknown pipeline ${request.pipeline}`, {
          details: { field: 'pipeline', value: request.pipeline, allowed: [...this.pipelinesByName.keys()] },
        });
      }
      if (p.modality !== module.modality) {
        throw new KaleidoError(
          'ERR_VALIDATION',
          `pipeline ${p.name} analyses ${p.modality}, but the content is ${module.modality}`,
          {
            details: {
              field: 'pipeline',
              value: p.name,
              allowed: module.pipelines.map((x) => x.name),
            },
          },
        );
      }
      def = p;
    } else {
      def = this.pipelinesByName.get(module.defaultPipeline) as PipelineDefinition;
    }
    if (request.tasks === undefined) return def;
    if (request.tasks.length === 0) {
      throw new KaleidoError('ERR_VALIDATION', 'tasks must name at least one task', {
        details: { field: 'tasks' },
      });
    }
    // Tasks are step ids of the chosen pipeline; without a named pipeline, any analyzer of the
    // modality may be asked for by its task name.
    const allowed =
      request.pipeline !== undefined
        ? def.steps.map((s) => s.id)
        : [...new Set([...def.steps.map((s) => s.id), ...module.analyzers.map((a) => a.task)])];
    const unknown = request.tasks.filter((t) => !allowed.includes(t));
    if (unknown.length > 0) {
      throw new KaleidoError('ERR_VALIDATION', `unknown ${module.modality} task ${unknown.join(', ')}`, {
        details: { field: 'tasks', value: unknown, allowed },
      });
    }
    const selected = selectSteps(def, request.tasks);
    const extra = request.tasks
      .filter((t) => !def.steps.some((s) => s.id === t))
      .map((t) => ({ id: t, analyzer: `${module.modality}/${t}` }));
    return { ...selected, steps: [...selected.steps, ...extra] };
  }

  /** Request options by step id, each validated by its analyzer (400 before anything runs). */
  private async parseStepOptions(
    pipeline: PipelineDefinition,
    options: Readonly<Record<string, unknown>> | undefined,
  ): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    if (options === undefined) return out;
    for (const [id, raw] of Object.entries(options)) {
      const step = pipeline.steps.find((s) => s.id === id);
      const a = step === undefined ? undefined : this.analyzersById.get(step.analyzer);
      if (step === undefined || a?.parseOptions === undefined) {
        throw new KaleidoError(
          'ERR_VALIDATION',
          step === undefined
            ? `options name ${id}, which is not a step of this request`
            : `the ${id} step takes no options`,
          {
            details: {
              field: `options.${id}`,
              allowed: pipeline.steps
                .filter((s) => this.analyzersById.get(s.analyzer)?.parseOptions !== undefined)
                .map((s) => s.id),
            },
          },
        );
      }
      out.set(id, await a.parseOptions(raw));
    }
    return out;
  }

  private policyFor(pipeline: string, requestTenant?: string): Policy {
    const { policies, route = 'analyze' } = this.options;
    const tenant = requestTenant ?? this.options.tenant ?? 'default';
    try {
      return policies.resolve({ tenant, route, pipeline });
    } catch (e) {
      // No policy is a server misconfiguration, not the client's fault: unmoderated is never implicit.
      throw new KaleidoError('ERR_UNAVAILABLE', `no moderation policy applies to pipeline ${pipeline}`, {
        details: { pipeline, tenant, route, cause: messageOf(e) },
        cause: e,
      });
    }
  }

  private operatorsFor(policy: Policy): OperatorsByEntity {
    const key = `${policy.id}@${policy.version}#${policy.contentHash ?? ''}`;
    let ops = this.operatorCache.get(key);
    if (ops === undefined) {
      ops = resolvePiiOperators(policy.pii, this.options.resolveKey);
      this.operatorCache.set(key, ops);
    }
    return ops;
  }
}
