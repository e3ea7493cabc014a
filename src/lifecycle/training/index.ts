/** Training jobs: queued, worker-thread training of classifier heads with checkpoints and resume. */
export {
  TrainingJobs,
  type SubmitTrainingJob,
  type TrainingJobEvent,
  type TrainingJobsOptions,
} from './training-jobs.js';
export { InMemoryTrainingJobStore } from './memory-job-store.js';
export { resolveTrainingWorkerEntry, startTrainingWorker, type TrainingWorkerEntry } from './worker-entry.js';
export type { FromTrainingWorker, ToTrainingWorker, TrainingWorkerData } from './protocol.js';
