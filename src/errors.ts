/** The closed set of error codes; every failure the product reports is one of these. */
export type ErrorCode =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

/** HTTP status for each code: the one table every surface maps from. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  precondition_failed: 412,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** One field-level problem inside an `invalid` error. */
export interface FieldError {
  /** JSON-pointer-ish path or parameter name, e.g. `/target` or `name`. */
  field: string;
  /** The rule that failed, in words. */
  message: string;
}

export interface AppErrorOptions {
  /** Machine-readable refinement of the code, e.g. `csv_ragged_row`. */
  reason?: string;
  /** Structured extras shown to the client (e.g. what references a resource). */
  details?: Record<string, unknown>;
  errors?: FieldError[];
  cause?: unknown;
}

/** The single error type of the product. Surfaces render it in their own envelopes. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly reason: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly errors: FieldError[];

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.reason = options.reason;
    this.details = options.details;
    this.errors = options.errors ?? [];
  }

  get status(): number {
    return STATUS_BY_CODE[this.code];
  }
}

export const invalid = (message: string, options?: AppErrorOptions) =>
  new AppError('invalid', message, options);
export const notFound = (what: string, id: string | number) =>
  new AppError('not_found', `${what} '${id}' was not found`, {
    reason: `${what.replace(/ /g, '_')}_not_found`,
  });
export const conflict = (message: string, options?: AppErrorOptions) =>
  new AppError('conflict', message, options);

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
