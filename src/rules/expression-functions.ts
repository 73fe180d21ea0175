/** What a value can be; `any` when it is not known before the condition runs. */
export type Kind = 'number' | 'text' | 'boolean' | 'list' | 'null' | 'any';

/**
 * A function a rule condition may call. The save-time type check (expression-types.ts) reads
 * how many arguments it takes and their kind; the compiler checks each argument's value against
 * `takes` before `apply` sees it.
 */
export interface ConditionFunction {
  readonly min: number;
  readonly max: number;
  /** The kind of every argument. */
  readonly takes: Kind;
  readonly gives: Kind;
  readonly apply: (args: unknown[]) => unknown;
}

const numbers = (args: unknown[]) => args as number[];

const FUNCTIONS: Readonly<Record<string, ConditionFunction>> = {
  abs: { min: 1, max: 1, takes: 'number', gives: 'number', apply: ([x]) => Math.abs(x as number) },
  min: {
    min: 1,
    max: Infinity,
    takes: 'number',
    gives: 'number',
    apply: (args) => Math.min(...numbers(args)),
  },
  max: {
    min: 1,
    max: Infinity,
    takes: 'number',
    gives: 'number',
    apply: (args) => Math.max(...numbers(args)),
  },
  lower: { min: 1, max: 1, takes: 'text', gives: 'text', apply: ([x]) => (x as string).toLowerCase() },
  upper: { min: 1, max: 1, takes: 'text', gives: 'text', apply: ([x]) => (x as string).toUpperCase() },
  coalesce: {
    min: 1,
    max: Infinity,
    takes: 'any',
    gives: 'any',
    apply: (args) => args.find((x) => x !== null && x !== undefined) ?? null,
  },
};

/** The function called `name` (`list` is not one: the compiler reads its argument as a name). */
export function conditionFunction(name: string): ConditionFunction | undefined {
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}
