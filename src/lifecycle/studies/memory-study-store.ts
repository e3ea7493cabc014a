/**
 * StudyStore in memory: the fake for tests and for a server without a SQL store. Records are
 * frozen copies, so callers cannot change stored state.
 */
import { KaleidoError } from '../../core/errors.js';
import type { StudyPatch, StudyRecord, StudyState, StudyStore } from '../../core/ports/study-store.js';
import { SYSTEM_TENANT } from '../../core/security/principal.js';

const copy = (r: StudyRecord): StudyRecord => Object.freeze(structuredClone(r));

export class InMemoryStudyStore implements StudyStore {
  private readonly studies = new Map<string, StudyRecord>();

  async insert(study: StudyRecord): Promise<void> {
    if (this.studies.has(study.id)) {
      throw new KaleidoError('ERR_ALREADY_EXISTS', `study ${study.id} already exists`, {
        details: { id: study.id },
      });
    }
    const tenantId = study.tenantId ?? SYSTEM_TENANT;
    if ([...this.studies.values()].some((s) => s.tenantId === tenantId && s.name === study.name)) {
      throw new KaleidoError('ERR_ALREADY_EXISTS', `a study named "${study.name}" already exists`, {
        details: { name: study.name },
      });
    }
    this.studies.set(study.id, copy({ ...study, tenantId }));
  }

  async get(id: string, tenantId?: string): Promise<StudyRecord | undefined> {
    const s = this.studies.get(id);
    return s === undefined || (tenantId !== undefined && s.tenantId !== tenantId) ? undefined : copy(s);
  }

  async getByName(name: string, tenantId: string = SYSTEM_TENANT): Promise<StudyRecord | undefined> {
    const s = [...this.studies.values()].find((r) => r.tenantId === tenantId && r.name === name);
    return s === undefined ? undefined : copy(s);
  }

  async update(id: string, patch: StudyPatch, expectedState?: StudyState): Promise<StudyRecord> {
    const s = this.studies.get(id);
    if (s === undefined) throw new KaleidoError('ERR_NOT_FOUND', `no study ${id}`, { details: { id } });
    if (expectedState !== undefined && s.state !== expectedState) {
      throw new KaleidoError('ERR_INVALID_STATE', `study ${id} is ${s.state}, not ${expectedState}`, {
        details: { id, state: s.state, expectedState },
      });
    }
    const next = copy({
      ...s,
      ...patch,
      id: s.id,
      tenantId: s.tenantId,
      name: s.name,
      spec: s.spec,
      createdAt: s.createdAt,
    });
    this.studies.set(id, next);
    return copy(next);
  }

  async list(
    filter: { readonly states?: readonly StudyState[]; readonly tenantId?: string } = {},
  ): Promise<StudyRecord[]> {
    return [...this.studies.values()]
      .filter((s) => filter.states === undefined || filter.states.includes(s.state))
      .filter((s) => filter.tenantId === undefined || s.tenantId === filter.tenantId)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }
}
