/** Hyperparameter studies over training jobs: specs, the durable runner, evaluation and model cards. */
export {
  StudyRunner,
  trialJobDescription,
  type StudyEvent,
  type StudyRunnerOptions,
  type StudyView,
  type TrialView,
} from './study-runner.js';
export { InMemoryStudyStore } from './memory-study-store.js';
export {
  checkTrialConfigs,
  OBJECTIVE_METRICS,
  parseDistribution,
  parseFeaturizer,
  parseStudySpec,
  parseTraining,
  SEARCHABLE_PARAMS,
  suggestTrialParams,
  trialConfig,
  type StudySpecInput,
} from './spec.js';
export {
  defaultFeaturizer,
  featurizerOf,
  loadTrainingSet,
  parseDatasetJobRequest,
  submitDatasetJob,
  type DatasetJobRequest,
  type TrainingSet,
} from './training-set.js';
export {
  evaluateHead,
  evaluationMetrics,
  modelCard,
  type EvaluationReport,
  type ModelCardInput,
} from './evaluation.js';
