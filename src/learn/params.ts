/** Parameter schemas for learners: defaults, documentation and validation with errors naming the parameter. */

export type ParamSpec =
  | {
      type: 'number';
      default: number;
      min?: number;
      max?: number;
      exclusiveMin?: boolean;
      description: string;
    }
  | { type: 'integer'; default: number; min?: number; max?: number; description: string }
  | { type: 'boolean'; default: boolean; description: string }
  | { type: 'enum'; default: string; values: readonly string[]; description: string }
  | { type: 'integer[]'; default: number[]; min?: number; description: string };

export type ParamSchema = Record<string, ParamSpec>;

/** Thrown for an invalid learner parameter; `param` names it. */
export class LearnParamError extends Error {
  constructor(
    readonly learner: string,
    readonly param: string,
    message: string,
  ) {
    super(`${learner}: parameter "${param}" ${message}`);
    this.name = 'LearnParamError';
  }
}

/** Checks params against the schema and returns them with defaults filled in. */
export function validateParams(
  learner: string,
  schema: ParamSchema,
  params: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(params)) {
    if (!(key in schema)) {
      throw new LearnParamError(learner, key, `is not known (known: ${Object.keys(schema).join(', ')})`);
    }
  }
  for (const [key, spec] of Object.entries(schema)) {
    const v = params[key] ?? spec.default;
    const fail = (msg: string): never => {
      throw new LearnParamError(learner, key, `${msg}, got ${JSON.stringify(v)}`);
    };
    switch (spec.type) {
      case 'number':
      case 'integer': {
        if (typeof v !== 'number' || !Number.isFinite(v)) fail('must be a finite number');
        const n = v as number;
        if (spec.type === 'integer' && !Number.isInteger(n)) fail('must be an integer');
        if (spec.min !== undefined) {
          const exclusive = spec.type === 'number' && spec.exclusiveMin;
          if (exclusive ? n <= spec.min : n < spec.min) fail(`must be ${exclusive ? '>' : '>='} ${spec.min}`);
        }
        if (spec.max !== undefined && n > spec.max) fail(`must be <= ${spec.max}`);
        break;
      }
      case 'boolean':
        if (typeof v !== 'boolean') fail('must be true or false');
        break;
      case 'enum':
        if (typeof v !== 'string' || !spec.values.includes(v))
          fail(`must be one of ${spec.values.join(', ')}`);
        break;
      case 'integer[]':
        if (
          !Array.isArray(v) ||
          v.some((x) => !Number.isInteger(x) || (spec.min !== undefined && x < spec.min))
        ) {
          fail(`must be an array of integers${spec.min !== undefined ? ` >= ${spec.min}` : ''}`);
        }
        break;
    }
    out[key] = Array.isArray(v) ? v.slice() : v;
  }
  return out;
}
