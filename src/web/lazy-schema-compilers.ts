// Fastify's own schema compilers (ajv for parameters, fast-json-stringify for responses), built
// the first time a route's request or response needs one instead of for every route when the
// server starts. Compiling each route's schemas up front loads ajv and keeps dozens of generated
// validator functions (their source text and bytecode) resident in a server that, idle, only
// answers /metrics and /-/ready (issue 23). What the compilers produce is unchanged: the same
// packages fastify would load, with the options fastify passes; only the time they are made moves.
//
// A route's validator is first looked up among those ajv generated when the package was built
// (generated-validators.ts): then ajv is never loaded at all, which spares the first API request
// ~150 ms and the server ~10 MiB. A schema the build did not see is compiled with ajv, as before.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';
import { shippedValidators, validatorKey } from './generated-validators.js';
import type { GeneratedValidators, RouteSchema, Validate } from './generated-validators.js';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

type ValidatorCompiler = (route: RouteSchema) => Validate;
type Serializer = (data: unknown) => string;
type SerializerCompiler = (route: RouteSchema) => Serializer;
type Factory<C> = (externalSchemas: unknown, options: unknown) => C;

// Resolved from fastify's own directory: the versions fastify itself depends on.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));

let ajvFactory: Factory<ValidatorCompiler> | undefined;
let stringifyFactory: Factory<SerializerCompiler> | undefined;

/**
 * `{ type: 'object' }` and nothing else, the schema of routes without parameters: fastify hands
 * them the parsed query string, always an object, so ajv is not needed to accept it.
 */
function isAnyObjectSchema(schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false;
  const keys = Object.keys(schema);
  return keys.length === 1 && (schema as { type?: unknown }).type === 'object';
}

const isPlainObject = (data: unknown): boolean => data !== null && typeof data === 'object' && !Array.isArray(data);

const lazyValidator = (generated: () => GeneratedValidators | undefined) => (externalSchemas: unknown, options: unknown): ValidatorCompiler => {
  let compiler: ValidatorCompiler | undefined;
  const compile = (route: RouteSchema): Validate => {
    const built = generated()?.get(validatorKey(route));
    if (built !== undefined) return built;
    ajvFactory ??= (fromFastify('@fastify/ajv-compiler') as () => Factory<ValidatorCompiler>)();
    compiler ??= ajvFactory(externalSchemas, options);
    return compiler(route);
  };
  return (route) => {
    let real: Validate | undefined;
    const anyObject = isAnyObjectSchema(route.schema);
    const validate: Validate = (data, parent) => {
      if (anyObject && real === undefined && isPlainObject(data)) return true;
      real ??= compile(route);
      return real(data, parent);
    };
    // fastify reads `errors` after a failed call, and passes the parent (so that ajv may coerce or
    // default the root value) only to functions with `schemaEnv`, as ajv's all have.
    Object.defineProperty(validate, 'errors', { get: () => real?.errors });
    validate.schemaEnv = true;
    return validate;
  };
};

function lazySerializer(externalSchemas: unknown, options: unknown): SerializerCompiler {
  let compiler: SerializerCompiler | undefined;
  return (route) => {
    let real: Serializer | undefined;
    return (data) => {
      if (real === undefined) {
        stringifyFactory ??= (fromFastify('@fastify/fast-json-stringify-compiler') as () => Factory<SerializerCompiler>)();
        compiler ??= stringifyFactory(externalSchemas, options);
        real = compiler(route);
      }
      return real(data);
    };
  };
}

/**
 * For `Fastify({ schemaController: { compilersFactory } })`: validators from `generated` (the
 * build's, by default) where it has the route's schema, else compiled by ajv on first use.
 */
export function schemaCompilers(generated: () => GeneratedValidators | undefined = shippedValidators): CompilersFactory {
  return { buildValidator: lazyValidator(generated), buildSerializer: lazySerializer } as unknown as CompilersFactory;
}

/** The server's compilers: see schemaCompilers. */
export const lazySchemaCompilers = schemaCompilers();

/**
 * Compilers that compile every route's validator with ajv when the routes are registered (as
 * fastify's own do) and hand `store` each one's standalone source, keyed by validatorKey: what
 * scripts/build-validators.mjs gathers from the server's app.
 */
export function validatorWriter(store: (key: string, source: string) => void): CompilersFactory {
  type Standalone = (options: { readMode: false; storeFunction: (route: RouteSchema, source: string) => void }) => Factory<ValidatorCompiler>;
  const standalone = fromFastify('@fastify/ajv-compiler/standalone') as Standalone;
  return { buildValidator: standalone({ readMode: false, storeFunction: (route, source) => store(validatorKey(route), source) }), buildSerializer: lazySerializer } as unknown as CompilersFactory;
}
