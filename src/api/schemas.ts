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

export const nullable = <T extends object>(schema: T) => ({ ...schema, nullable: true }) as const;
