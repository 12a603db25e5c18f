/**
 * Route schema compilers that compile on first use instead of at start-up.
 *
 * Fastify compiles every route's request validators (ajv) and response serializers
 * (fast-json-stringify) while the app boots. With ~330 routes that was most of the start-up
 * time, although a process usually serves only a handful of those routes. These factories wrap
 * Fastify's own default compilers (same ajv options, same shared schemas, same error objects),
 * deferring each route's compilation to its first request and caching the result, so every
 * validation behaviour stays exactly as before.
 */
import ajvCompiler from '@fastify/ajv-compiler';
import serializerCompiler from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Validate = ((data: unknown) => unknown) & { errors?: unknown };
type Serialize = (data: unknown) => string;
type SchemaControllerOptions = NonNullable<FastifyServerOptions['schemaController']>;
type Factory = NonNullable<SchemaControllerOptions['compilersFactory']>;
type Builder<F> = (externalSchemas: unknown, options: unknown) => (routeSchema: unknown) => F;

/** Fastify `schemaController` option plus a way to force every deferred compilation now. */
export interface LazyCompilers {
  schemaController: SchemaControllerOptions;
  /** Compiles every route schema not compiled yet (tests use it to prove all schemas compile); returns how many. */
  compileAll(): number;
}

export function createLazyCompilers(): LazyCompilers {
  const pending = new Set<() => unknown>();
  const buildValidator = ajvCompiler();
  const buildSerializer = serializerCompiler();

  /** Returns a getter that compiles on its first call and caches; pending until then. */
  const deferred = <T>(compile: () => T): (() => T) => {
    let fn: T | undefined;
    const force = () => {
      if (fn === undefined) {
        fn = compile();
        pending.delete(force);
      }
      return fn;
    };
    pending.add(force);
    return force;
  };

  const lazyValidator = (compile: () => Validate): Validate => {
    const get = deferred(compile);
    const validate: Validate = (data) => {
      const f = get();
      const result = f(data);
      // Fastify reads the errors of a failed validation from the function it was given.
      validate.errors = f.errors;
      return result;
    };
    return validate;
  };

  const lazySerializer = (compile: () => Serialize): Serialize => {
    const get = deferred(compile);
    return (data) => get()(data);
  };

  /** Wraps a compiler builder so that every route schema it is given compiles lazily. */
  const deferEach =
    <F>(build: Builder<F>, lazy: (compile: () => F) => F): Builder<F> =>
    (externalSchemas, options) => {
      const compile = build(externalSchemas, options);
      return (routeSchema) => lazy(() => compile(routeSchema));
    };

  // Fastify's factory types are broader than the two builders' own; the calls match at run time.
  const compilersFactory = {
    buildValidator: deferEach(buildValidator as unknown as Builder<Validate>, lazyValidator),
    buildSerializer: deferEach(buildSerializer as unknown as Builder<Serialize>, lazySerializer),
  } as unknown as Factory;

  return {
    schemaController: { compilersFactory },
    compileAll() {
      let n = 0;
      for (const force of [...pending]) {
        force();
        n += 1;
      }
      return n;
    },
  };
}
