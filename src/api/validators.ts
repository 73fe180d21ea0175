import AjvCompiler from '@fastify/ajv-compiler';

const AJV_OPTIONS = { allErrors: true, removeAdditional: false } as const;

/**
 * Schema validators, two kinds: query strings, path parameters and headers are text, so their
 * values are coerced to the schema's types (`?limit=5` is the number 5); a JSON body already
 * carries its types, so a value of another type is refused, naming the field. With one coercing
 * validator for both, `"rate_limit_per_minute": true` was stored as 1, `"name": 5` as "5" and a
 * backtest's `"limit": "5"` read as 5.
 */
export const buildValidator: AjvCompiler.ValidatorFactory = (externalSchemas, options) => {
  const pool = AjvCompiler();
  const plugins = options?.plugins ?? [];
  const coercing = pool(externalSchemas, { plugins, customOptions: { ...AJV_OPTIONS, coerceTypes: true } });
  const typed = pool(externalSchemas, { plugins, customOptions: { ...AJV_OPTIONS, coerceTypes: false } });
  return (route) => (route.httpPart === 'body' ? typed : coercing)(route);
};
