/** JSON schemas shared by routes (OpenAPI is generated from them). */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: {},
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

/** Error answers every authenticated route can give. */
export const authErrors = {
  401: errorSchema,
  403: errorSchema,
} as const;

/**
 * A query filter matched exactly. Empty text is refused: `?account_id=` from a client that
 * lost its value would otherwise list everything, or nothing, without saying why.
 */
export const filterText = (maxLength?: number) =>
  ({ type: 'string', minLength: 1, ...(maxLength === undefined ? {} : { maxLength }) }) as const;

export const nullable = <T extends object>(schema: T) => ({ ...schema, nullable: true }) as const;
