// Fastify's own schema compilers (ajv for parameters, fast-json-stringify for responses), built
// the first time a route's request or response needs one instead of for every route when the
// server starts. Compiling each route's schemas up front loads ajv and keeps dozens of generated
// validator functions (their source text and bytecode) resident in a server that, idle, only
// answers /metrics and /-/ready (issue 23). What the compilers produce is unchanged: the same
// packages fastify would load, with the options fastify passes; only the time they are made moves.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/** A route's schema as fastify hands it to a compiler. */
interface RouteSchema {
  schema: unknown;
}
/** ajv's compiled function: `errors` after a failed call; fastify passes a parent when `schemaEnv` is set. */
interface Validate {
  (data: unknown, parent?: unknown): unknown;
  errors?: unknown;
  schemaEnv?: unknown;
}
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

function lazyValidator(externalSchemas: unknown, options: unknown): ValidatorCompiler {
  let compiler: ValidatorCompiler | undefined;
  const compile = (route: RouteSchema): Validate => {
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
}

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

/** For `Fastify({ schemaController: { compilersFactory } })`. */
export const lazySchemaCompilers = { buildValidator: lazyValidator, buildSerializer: lazySerializer } as unknown as CompilersFactory;
