/**
 * DRUM's options shared by `serve`, `score` and `perf-test`, in DRUM's own forms so its command
 * lines and container environments work with `drum` replaced by `modelyard`: the model as
 * `--code-dir` (env CODE_DIR) or as the positional argument, the target-type and class-label
 * options:
 * `--class-labels a b c` (space-separated; `a,b,c` in one argument also works),
 * `--class-labels-file` (one label per line), and the environment twins TARGET_TYPE,
 * POSITIVE_CLASS_LABEL, NEGATIVE_CLASS_LABEL, CLASS_LABELS (whitespace-separated) and
 * CLASS_LABELS_FILE, which commander reads when the option is not given.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { TARGET_TYPES } from '../modules/serving/serving.types.js';
import type { TargetType } from '../modules/serving/serving.types.js';
import { CliError } from './client.js';

export interface LabelFlags {
  codeDir?: string;
  targetType?: string;
  positiveClassLabel?: string;
  negativeClassLabel?: string;
  classLabels?: string[];
  classLabelsFile?: string;
}

/** The model and label options; `model` in the command's name must be optional (`[model]`). */
export function addLabelFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--code-dir <dir>', "DRUM's way to name the model (instead of the argument)").env(
        'CODE_DIR',
      ),
    )
    .addOption(
      new Option(
        '--target-type <type>',
        `one of ${TARGET_TYPES.join(', ')} (default: what the model implies)`,
      ).env('TARGET_TYPE'),
    )
    .addOption(
      new Option('--positive-class-label <label>', 'binary: the positive class label').env(
        'POSITIVE_CLASS_LABEL',
      ),
    )
    .addOption(
      new Option('--negative-class-label <label>', 'binary: the negative class label').env(
        'NEGATIVE_CLASS_LABEL',
      ),
    )
    .addOption(
      new Option(
        '--class-labels <labels...>',
        'multiclass: class labels in output order, space-separated as in DRUM, or a,b,c',
      ).env('CLASS_LABELS'),
    )
    .addOption(
      new Option('--class-labels-file <file>', 'multiclass: a file with one class label per line').env(
        'CLASS_LABELS_FILE',
      ),
    );
}

/**
 * Several arguments are one label each. A single one (never a valid list on its own) is split: on
 * commas (`a,b,c`, Modelyard's older form), else on whitespace (CLASS_LABELS="a b c" arrives whole).
 */
function splitLabels(values: string[]): string[] {
  if (values.length !== 1) return values;
  const one = values[0]!.trim();
  return one.includes(',') ? one.split(',').map((s) => s.trim()) : one.split(/\s+/);
}

function readLabelsFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read --class-labels-file '${path}': ${(e as Error).message}`, 2);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The flags (or their environment twins) as serving options; exit 2 on a malformed flag. */
export function labelOptions(o: LabelFlags) {
  if (o.targetType && !(TARGET_TYPES as readonly string[]).includes(o.targetType))
    throw new CliError(`--target-type must be one of ${TARGET_TYPES.join(', ')} (got '${o.targetType}')`, 2);
  if (o.classLabels !== undefined && o.classLabelsFile !== undefined)
    throw new CliError(
      'give --class-labels or --class-labels-file (or CLASS_LABELS / CLASS_LABELS_FILE), not both',
      2,
    );
  const classLabels = o.classLabels
    ? splitLabels(o.classLabels)
    : o.classLabelsFile !== undefined
      ? readLabelsFile(o.classLabelsFile)
      : undefined;
  // Pairing, counts and distinctness are the serving rules' (labels.ts); only parsing is checked here.
  if (classLabels?.some((l) => l === ''))
    throw new CliError(`class labels must not be empty (got ${JSON.stringify(classLabels)})`, 2);
  return {
    targetType: o.targetType as TargetType | undefined,
    positiveClassLabel: o.positiveClassLabel,
    negativeClassLabel: o.negativeClassLabel,
    classLabels,
  };
}

/** The model from the argument or --code-dir (CODE_DIR); exit 2 when neither or two different. */
export function modelArg(model: string | undefined, o: LabelFlags): string {
  if (model !== undefined && o.codeDir !== undefined && model !== o.codeDir)
    throw new CliError(`give the model once: '${model}' and --code-dir '${o.codeDir}' differ`, 2);
  const m = model ?? o.codeDir;
  if (m === undefined) throw new CliError('name the model: a path or registry reference, or --code-dir', 2);
  return m;
}
