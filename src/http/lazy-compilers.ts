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

  const compilersFactory: Factory = {
    buildValidator: ((externalSchemas: unknown, options: unknown) => {
      const compiler = (buildValidator as (s: unknown, o: unknown) => (r: unknown) => Validate)(
        externalSchemas,
        options,
      );
      return (routeSchema: unknown) => lazyValidator(() => compiler(routeSchema));
    }) as Factory['buildValidator'],
    buildSerializer: ((externalSchemas: unknown, options: unknown) => {
      const compiler = (buildSerializer as (s: unknown, o: unknown) => (r: unknown) => Serialize)(
        externalSchemas,
        options,
      );
      return (routeSchema: unknown) => lazySerializer(() => compiler(routeSchema));
    }) as Factory['buildSerializer'],
  };

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
