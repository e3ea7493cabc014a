/**
 * The evaluation report of a trained head on held-out rows (core/eval, scikit-learn's
 * definitions) and the model card written with a registered version: a JSON object for machines
 * and the same facts as Markdown for people. Everything in the card is measured or recorded —
 * nothing is invented; what is unknown is said to be unknown.
 */
import { expectedCalibrationError } from '../../core/eval/calibration.js';
import {
  accuracy,
  confusionMatrix,
  logLoss,
  precisionRecallF1,
  rocAucBinary,
  rocAucOvr,
} from '../../core/eval/metrics.js';
import { KaleidoError } from '../../core/errors.js';
import type { JsonValue } from '../../core/hpo/types.js';
import type { ModelSignature } from '../../core/ports/registry-store.js';
import type { FeaturizerSpec } from '../../core/ports/study-store.js';
import { argmax, predictProba } from '../../core/train/trainer.js';
import { fairnessMarkdown, type FairnessRecord } from '../fairness.js';
import type { LabelledFeatures, TrainedHead } from '../../core/train/types.js';

export interface EvaluationReport {
  /** Which rows were scored: the data set's test split, or validation when it has no test rows. */
  readonly split: 'test' | 'validation';
  readonly rows: number;
  readonly classes: readonly string[];
  readonly accuracy: number;
  readonly macroF1: number;
  readonly perClass: ReadonlyArray<{
    readonly label: string;
    readonly precision: number;
    readonly recall: number;
    readonly f1: number;
    readonly support: number;
  }>;
  /** Binary: AUC of the second class's probability; more classes: macro one-vs-rest. Null when undefined (one class present). */
  readonly rocAuc: number | null;
  readonly logLoss: number;
  /** Expected calibration error of the top-class confidence, 10 equal-width bins. */
  readonly ece: number;
  /** matrix[i][j] = rows of true class labels[i] predicted as labels[j]. */
  readonly confusionMatrix: {
    readonly labels: readonly string[];
    readonly matrix: readonly (readonly number[])[];
  };
}

/** Scores `head` on `rows` (class indices refer to `head.classes`). */
export function evaluateHead(
  head: TrainedHead,
  rows: LabelledFeatures,
  split: 'test' | 'validation',
): EvaluationReport {
  const n = rows.y.length;
  if (n === 0) {
    throw new KaleidoError('ERR_VALIDATION', `the ${split} split has no rows to evaluate on`, {
      details: { split },
    });
  }
  const classes = head.classes;
  const k = classes.length;
  const p = predictProba(head, rows.x);
  const yTrue: string[] = [];
  const yPred: string[] = [];
  const probs: number[][] = [];
  for (let i = 0; i < n; i++) {
    yTrue.push(classes[rows.y[i] as number] as string);
    yPred.push(classes[argmax(p, i * k, k)] as string);
    probs.push(Array.from(p.subarray(i * k, (i + 1) * k)));
  }
  const prf = precisionRecallF1(yTrue, yPred, { labels: classes });
  let rocAuc: number | null = null;
  try {
    rocAuc =
      k === 2
        ? rocAucBinary(
            yTrue,
            probs.map((r) => r[1] as number),
            { positiveLabel: classes[1] as string },
          )
        : rocAucOvr(yTrue, probs, { labels: classes }).auc;
    if (!Number.isFinite(rocAuc)) rocAuc = null;
  } catch {
    // Undefined when the rows hold a single class: reported as null rather than a made-up number.
    rocAuc = null;
  }
  const cm = confusionMatrix(yTrue, yPred, { labels: classes });
  return {
    split,
    rows: n,
    classes: [...classes],
    accuracy: accuracy(yTrue, yPred),
    macroF1: prf.macro.f1,
    perClass: prf.perClass.map((c) => ({
      label: String(c.label),
      precision: c.precision,
      recall: c.recall,
      f1: c.f1,
      support: c.support,
    })),
    rocAuc,
    logLoss: logLoss(yTrue, probs, { labels: classes }),
    ece: expectedCalibrationError(yTrue, probs, { labels: classes }).ece,
    confusionMatrix: { labels: cm.labels.map(String), matrix: cm.matrix },
  };
}

/** The flat metrics snapshot a registered version carries (registry `metrics`). */
export function evaluationMetrics(report: EvaluationReport): Record<string, number> {
  const out: Record<string, number> = {
    [`${report.split}_accuracy`]: report.accuracy,
    [`${report.split}_macro_f1`]: report.macroF1,
    [`${report.split}_log_loss`]: report.logLoss,
    [`${report.split}_ece`]: report.ece,
  };
  if (report.rocAuc !== null) out[`${report.split}_roc_auc`] = report.rocAuc;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => Number.isFinite(v)));
}

export interface ModelCardInput {
  readonly modelName: string;
  readonly head: TrainedHead;
  readonly featurizer: FeaturizerSpec;
  readonly dataset: {
    readonly id: string;
    readonly version: number;
    readonly sha256: string;
    readonly rows: number;
    readonly classBalance: Readonly<Record<string, number>>;
  };
  readonly study: {
    readonly id: string;
    readonly name: string;
    readonly metric: string;
    readonly direction: string;
    readonly trials: number;
    readonly completed: number;
    readonly pruned: number;
    readonly failed: number;
    readonly bestTrial: number;
    readonly bestValue: number;
    readonly params: Readonly<Record<string, JsonValue>>;
    readonly importance: Readonly<Record<string, number>> | null;
  };
  readonly evaluation: EvaluationReport;
  /** Fairness across the data set's sensitive attributes (absent or empty: none declared). */
  readonly fairness?: {
    readonly reports: readonly FairnessRecord[];
    readonly errors: ReadonlyArray<{ readonly attribute: string; readonly message: string }>;
  };
  readonly signature: ModelSignature | null;
  readonly trainingJobId: string;
  readonly createdAt: number;
  /**
   * How to turn raw content into the head's input at serving time (lifecycle/classify.ts
   * `servingRecord`: featuriser id, modality, input field, tensor names); absent on old cards.
   */
  readonly serving?: Readonly<Record<string, JsonValue>>;
}

const fmt = (x: number | null): string =>
  x === null ? 'n/a' : Number.isInteger(x) ? String(x) : x.toFixed(4);

function featurizerText(f: FeaturizerSpec): string {
  if (f.type === 'image-embedding')
    return 'frozen image embeddings: MobileNetV2 (ImageNet backbone, nsfwjs weights) global-average-pooled 1280-d output for the RGB image / 255 resized bilinearly to 224×224 (adapters/image-tfjs/embedder.ts); the classifier head is trained on them, the encoder is not fine-tuned';
  if (f.type === 'video-features')
    return `frame and audio pooling of each video (a fixed featuriser, not fine-tuned): up to ${f.maxFrames} frames sampled at ${f.fps} fps by ffmpeg (the interval widens to cover longer videos), scaled to at most 448 px, embedded by MobileNetV2 (ImageNet backbone, nsfwjs weights, global-average-pooled 1280-d, RGB / 255 resized to 224×224) and averaged; then the log-mel-stats of the audio track decoded to 16 kHz mono (116 values, zeros when the video has no audio stream) and a has-audio flag (1 or 0): 1397 values (lifecycle/datasets/media-features.ts)`;
  if (f.type === 'audio-features')
    return 'log-mel-stats audio features (a fixed signal-processing embedding, not learned): audio decoded to 16 kHz mono, 25 ms Hann frames every 10 ms, mean and standard deviation over frames of 40 log-mel energies, 13 MFCCs, spectral centroid, roll-off, flatness, zero-crossing rate and RMS level, 116 values (core/train/log-mel.ts)';
  return f.type === 'tabular'
    ? 'the numeric and vector columns of the data set, in schema order'
    : `a hashed bag of words over the text field: ${f.dimensions} signed buckets (FNV-1a), ${f.bigrams ? 'words and word pairs' : 'words'}, 1 + ln(tf), L2-normalised rows (core/train/features.ts hashedBagOfWords)`;
}

/** The card as JSON (stored on the registered version) with its Markdown rendering inside. */
export function modelCard(input: ModelCardInput): Record<string, JsonValue> {
  const { head, evaluation: ev, study, dataset } = input;
  const training = head.training;
  const best = training.history.find((h) => h.epoch === training.bestEpoch) ?? null;
  const fairnessReports = input.fairness?.reports ?? [];
  const fairnessErrors = input.fairness?.errors ?? [];
  const limitations = [
    `Trained on ${dataset.rows} rows of data set ${dataset.id}@${dataset.version}; behaviour on text or data unlike it is unmeasured.`,
    `Scores are from ${ev.rows} ${ev.split} rows of the same data set; they are not a guarantee on production traffic.`,
    `Clients must featurise inputs exactly as described above${input.featurizer.type === 'tabular' ? '' : ' (or send the raw content to POST /v1/classify/{model}, which does)'}; other features give meaningless probabilities.`,
    ...(fairnessReports.length === 0 && fairnessErrors.length === 0
      ? [
          'No fairness or slice analysis was run for this version: the data set declares no sensitive attribute.',
        ]
      : fairnessReports.some((r) => r.flagged)
        ? [
            `Flagged for fairness: ${fairnessReports
              .filter((r) => r.flagged)
              .map((r) => `"${r.attribute}"`)
              .join(
                ', ',
              )} (see Fairness); do not use it where these groups must be treated alike without review.`,
          ]
        : []),
    ...fairnessErrors.map((e) => `Fairness across "${e.attribute}" could not be measured: ${e.message}`),
  ];
  const intendedUse = `Classifying inputs like those of data set \`${dataset.id}\` into ${head.classes.join(' / ')}. Serve it over OIP: input \`${input.signature?.inputs[0]?.name ?? 'features'}\` FP32 [batch, ${head.inputDim}], output class probabilities.`;
  const lines: string[] = [
    `# Model card: ${input.modelName}`,
    '',
    `A ${head.kind === 'mlp' ? `multi-layer perceptron (hidden layers ${training.config.hiddenUnits.join(' × ')})` : 'multinomial logistic regression'} classifier over ${head.inputDim} features into ${head.classes.length} classes: ${head.classes.join(', ')}.`,
    `Produced by study **${study.name}** (trial ${study.bestTrial} of ${study.trials}; objective ${study.metric}, ${study.direction}d: ${fmt(study.bestValue)}), training job ${input.trainingJobId}.`,
    '',
    '## Intended use',
    '',
    intendedUse,
    '',
    '## Data',
    '',
    `- Data set: \`${dataset.id}\` version ${dataset.version} (sha256 \`${dataset.sha256.slice(0, 16)}…\`), ${dataset.rows} rows.`,
    `- Class balance: ${Object.entries(dataset.classBalance)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ')}.`,
    `- Features: ${featurizerText(input.featurizer)}.`,
    '',
    '## Training',
    '',
    `- Hyperparameters (searched): ${
      Object.entries(study.params)
        .map(([k, v]) => `${k} = ${typeof v === 'number' ? fmt(v) : String(v)}`)
        .join(', ') || 'none'
    }.`,
    `- Learning rate ${fmt(training.config.learningRate)}, L2 ${fmt(training.config.l2)}, batch ${training.config.batchSize}, ${training.epochs} epochs run (kept epoch ${training.bestEpoch}, stop: ${training.stopReason}), seed ${training.config.seed}.`,
    `- Validation at the kept epoch: loss ${fmt(best?.valLoss ?? null)}, accuracy ${fmt(best?.valAccuracy ?? null)}, macro F1 ${fmt(best?.valMacroF1 ?? null)}.`,
    `- Study: ${study.completed} complete, ${study.pruned} pruned, ${study.failed} failed trials.`,
    ...(study.importance === null
      ? []
      : [
          `- Parameter importance: ${Object.entries(study.importance)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k} ${fmt(v)}`)
            .join(', ')}.`,
        ]),
    '',
    `## Evaluation (${ev.split} split, ${ev.rows} rows)`,
    '',
    '| metric | value |',
    '| --- | --- |',
    `| accuracy | ${fmt(ev.accuracy)} |`,
    `| macro F1 | ${fmt(ev.macroF1)} |`,
    `| ROC-AUC | ${fmt(ev.rocAuc)} |`,
    `| log loss | ${fmt(ev.logLoss)} |`,
    `| ECE (10 bins) | ${fmt(ev.ece)} |`,
    '',
    '| class | precision | recall | F1 | support |',
    '| --- | --- | --- | --- | --- |',
    ...ev.perClass.map(
      (c) => `| ${c.label} | ${fmt(c.precision)} | ${fmt(c.recall)} | ${fmt(c.f1)} | ${c.support} |`,
    ),
    '',
    `Confusion matrix (rows: true, columns: predicted; ${ev.confusionMatrix.labels.join(', ')}): ${JSON.stringify(ev.confusionMatrix.matrix)}.`,
    '',
    ...(fairnessReports.length === 0 ? [] : ['## Fairness', '', ...fairnessMarkdown(fairnessReports), '']),
    '## Limitations',
    '',
    ...limitations.map((l) => `- ${l}`),
    '',
  ];
  return {
    schema: 'kaleido.model-card/v1',
    model: input.modelName,
    createdAt: input.createdAt,
    kind: head.kind,
    classes: [...head.classes],
    inputDim: head.inputDim,
    featurizer: input.featurizer as unknown as JsonValue,
    dataset: dataset as unknown as JsonValue,
    training: {
      jobId: input.trainingJobId,
      config: training.config as unknown as JsonValue,
      epochs: training.epochs,
      bestEpoch: training.bestEpoch,
      stopReason: training.stopReason,
    },
    study: study as unknown as JsonValue,
    evaluation: ev as unknown as JsonValue,
    intendedUse,
    ...(input.fairness === undefined
      ? {}
      : {
          fairness: fairnessReports as unknown as JsonValue,
          ...(fairnessErrors.length === 0 ? {} : { fairnessErrors: fairnessErrors as unknown as JsonValue }),
        }),
    ...(input.signature === null ? {} : { signature: input.signature as unknown as JsonValue }),
    ...(input.serving === undefined ? {} : { serving: input.serving as JsonValue }),
    limitations,
    markdown: lines.join('\n'),
  };
}
