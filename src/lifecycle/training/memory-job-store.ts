/**
 * TrainingJobStore in memory: the embedded default until the SQL store (with the registry) exists,
 * and the fake for tests. Records are frozen copies, so callers cannot change stored state.
 */
import { KaleidoError } from '../../core/errors.js';
import type {
  TrainingJobPatch,
  TrainingJobRecord,
  TrainingJobState,
  TrainingJobStore,
} from '../../core/ports/training-jobs.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';

const copy = (r: TrainingJobRecord): TrainingJobRecord => Object.freeze(structuredClone(r));

export class InMemoryTrainingJobStore implements TrainingJobStore {
  private readonly jobs = new Map<string, TrainingJobRecord>();

  async insert(job: TrainingJobRecord): Promise<void> {
    if (this.jobs.has(job.id)) {
      throw new KaleidoError('ERR_ALREADY_EXISTS', `training job ${job.id} already exists`, {
        details: { id: job.id },
      });
    }
    this.jobs.set(job.id, copy({ ...job, tenantId: job.tenantId ?? SYSTEM_TENANT }));
  }

  async get(id: string, tenantId?: string): Promise<TrainingJobRecord | undefined> {
    const job = this.jobs.get(id);
    return job === undefined || (tenantId !== undefined && job.tenantId !== tenantId) ? undefined : copy(job);
  }

  async update(
    id: string,
    patch: TrainingJobPatch,
    expectedState?: TrainingJobState,
  ): Promise<TrainingJobRecord> {
    const job = this.jobs.get(id);
    if (job === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `no training job ${id}`, { details: { id } });
    }
    if (expectedState !== undefined && job.state !== expectedState) {
      throw new KaleidoError(
        'ERR_INVALID_STATE',
        `training job ${id} is ${job.state}, not ${expectedState}`,
        {
          details: { id, state: job.state, expectedState },
        },
      );
    }
    const next = copy({
      ...job,
      ...patch,
      id: job.id,
      tenantId: job.tenantId,
      spec: job.spec,
      createdAt: job.createdAt,
    });
    this.jobs.set(id, next);
    return copy(next);
  }

  async list(
    filter: { readonly states?: readonly TrainingJobState[]; readonly tenantId?: string } = {},
  ): Promise<TrainingJobRecord[]> {
    return [...this.jobs.values()]
      .filter((j) => filter.states === undefined || filter.states.includes(j.state))
      .filter((j) => filter.tenantId === undefined || j.tenantId === filter.tenantId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }
}
