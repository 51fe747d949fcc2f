/**
 * The catalog's zod definition: the single source for validation, defaults and the
 * exported JSON Schema. Field syntaxes live in schema-*.ts by section; this file
 * assembles the model and the file, and holds the checks that span sections.
 */
import { z } from 'zod';
import { isDriftMethod, supportsType, type FeatureType } from './drift-methods';
import { DataSchema, FamilySchema } from './schema-data';
import { EvaluationSchema } from './schema-evaluation';
import { partialOf, read, uniqueBy, withArrayCheck, withCheck, type Report } from './schema-common';
import { TrainingSchema } from './schema-training';
import { checkThreshold, TriggersSchema } from './schema-triggers';

export const MODEL_ID_MAX_LENGTH = 40;

/** Model ids end up in Kubernetes names and label values: lower-case alphanumerics and dashes. */
export const modelId = z
  .string()
  .max(MODEL_ID_MAX_LENGTH, { error: `a model id is at most ${MODEL_ID_MAX_LENGTH} characters` })
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { error: (i) => `a model id is [a-z0-9-], starting and ending with a letter or digit; got ${JSON.stringify(i.input)}` });

type Obj = Readonly<Record<string, unknown>>;

function checkSegmentField(data: Obj | undefined, family: Obj | undefined, report: Report): void {
  const segment = read.str(family?.segmentField);
  if (segment === undefined || data === undefined) return;
  const features = read.arr(data.features).map((f) => read.str(read.obj(f)?.name));
  if (features.includes(segment)) report(['family', 'segmentField'], `"${segment}" is a feature; a family's segment field cannot also be a feature`);
  else if (segment === read.str(data.labelField)) report(['family', 'segmentField'], `"${segment}" is the labelField`);
}

/** Per-feature drift settings only make sense together with the model-wide method. */
function checkFeatureDrift(data: Obj | undefined, drift: Obj | undefined, report: Report): void {
  const modelMethod = read.str(drift?.method) ?? 'auto';
  read.arr(data?.features).forEach((item, index) => {
    const feature = read.obj(item);
    const override = read.obj(feature?.drift);
    const ownMethod = read.str(override?.method);
    const method = ownMethod ?? modelMethod;
    const at = ['data', 'features', index];
    if (override !== undefined) checkThreshold(method, override.threshold, report, [...at, 'drift', 'threshold']);
    if (override?.minEffect !== undefined) {
      // minEffect gates the budget's calibrated tests only; elsewhere it would be silently ignored.
      if (drift?.windowsPerFalseAlarm === null) report([...at, 'drift', 'minEffect'], 'triggers.drift.windowsPerFalseAlarm is null (no false-alarm budget), so minEffect is not used; drop it or set a budget');
      else if (method !== 'auto' || override.threshold !== undefined) {
        report([...at, 'drift', 'minEffect'], `minEffect applies only to a feature under the false-alarm budget (drift method auto, no threshold); this one is tested by ${method}${override.threshold !== undefined ? ` at threshold ${String(override.threshold)}` : ''}`);
      }
    }
    const type = read.str(feature?.type) as FeatureType | undefined;
    // An unknown method or type was already reported by its enum; only judge known pairs.
    if (type === undefined || !isDriftMethod(method) || !(type === 'numeric' || type === 'categorical')) return;
    if (!supportsType(method, type)) {
      if (ownMethod !== undefined) report([...at, 'drift', 'method'], `${method} does not apply to ${type} features`);
      else report([...at, 'type'], `triggers.drift.method ${method} does not apply to ${type} features; give this feature its own drift.method`);
    }
  });
}

function checkModel(model: Obj, report: Report): void {
  const data = read.obj(model.data);
  const triggers = read.obj(model.triggers);
  const training = read.obj(model.training);
  checkSegmentField(data, read.obj(model.family), report);
  checkFeatureDrift(data, read.obj(triggers?.drift), report);
  const maturity = read.num(data?.labelMaturity);
  const lookback = read.num(training?.lookback);
  if (maturity !== undefined && lookback !== undefined && lookback <= maturity) {
    report(['training', 'lookback'], 'lookback must be longer than data.labelMaturity, or no event in the window has a matured label');
  }
}

export const ModelSchema = withCheck(
  z.strictObject({
    id: modelId.describe(`Unique model id, [a-z0-9-], at most ${MODEL_ID_MAX_LENGTH} characters (used in Kubernetes names and labels).`),
    description: z.string().describe('What the model is for, for people.').prefault(''),
    family: FamilySchema.optional(),
    data: DataSchema,
    triggers: TriggersSchema.prefault({}),
    training: TrainingSchema.prefault({}),
    evaluation: EvaluationSchema.prefault({}),
  }),
  checkModel,
).describe('One model (or model family) and how it is watched, trained and judged.');

export const DefaultsSchema = z
  .strictObject({
    triggers: partialOf(TriggersSchema).optional(),
    training: partialOf(TrainingSchema).optional(),
    evaluation: partialOf(EvaluationSchema).optional(),
  })
  .describe(
    'Settings merged under every model: a model\'s own value wins; maps merge key by key; lists, triggers.drift.window and training.hyperparameters are replaced whole.',
  );

export const CatalogFileSchema = z
  .strictObject({
    version: z.literal(1, { error: 'version must be 1' }).describe('Catalog format version.'),
    defaults: DefaultsSchema.optional(),
    models: withArrayCheck(z.array(ModelSchema).min(1, { error: 'the catalog needs at least one model' }), uniqueBy('id', 'model id', 'models')).describe(
      'The models Roundhouse keeps fresh.',
    ),
  })
  .describe('Roundhouse model catalog: which models exist and how each is watched, trained and judged.');

/** The file as written (before defaults). */
export type CatalogFileInput = z.input<typeof CatalogFileSchema>;
/** The file as validated (defaults applied, durations in ms, original key names). */
export type CatalogFileOutput = z.output<typeof CatalogFileSchema>;
export type ModelOutput = z.output<typeof ModelSchema>;
