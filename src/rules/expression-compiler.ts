import { ExpressionSyntaxError, parseExpression, type BinaryOp, type Node } from './expression-parser.js';
import { conditionFunction } from './expression-functions.js';
import { checkConditionTypes, type Kind } from './expression-types.js';

/** Values a rule sees: transaction fields and features by name. */
export type EvalContext = Readonly<Record<string, unknown>>;
export type Evaluator = (context: EvalContext) => unknown;

/** A condition that was parsed but cannot be evaluated on this input (e.g. `null > 3`). */
export class EvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationError';
  }
}

export interface CompileOptions {
  /** Names a condition may read; any other name is a syntax error. */
  readonly variables: ReadonlySet<string>;
  /** Named lists usable as `list('name')`. */
  readonly lists: Readonly<Record<string, readonly unknown[]>>;
  /**
   * Fields that hold only these codes: comparing one with text outside them (`'ru'`, `'UK'`,
   * in a literal, a list or a named list) is a syntax error, as it could never match.
   */
  readonly codeFields?: Readonly<
    Record<string, { readonly codes: ReadonlySet<string>; readonly what: string }>
  >;
  /** Kinds of the fields: when given, a condition that could only fail or never give true/false is a syntax error ({@link checkConditionTypes}). */
  readonly fieldKinds?: Readonly<Record<string, Kind>>;
}

/** Parses and compiles `source` into a fast closure; throws {@link ExpressionSyntaxError}. */
export function compileExpression(source: string, options: CompileOptions): Evaluator {
  const node = parseExpression(source);
  const evaluate = compileNode(node, options); // unknown names and lists first
  if (options.fieldKinds) checkConditionTypes(node, options.fieldKinds);
  return evaluate;
}

function compileNode(node: Node, options: CompileOptions): Evaluator {
  switch (node.kind) {
    case 'literal': {
      const value = node.value;
      return () => value;
    }
    case 'variable':
      return compileVariable(node.name, options);
    case 'list':
      return compileList(node.items, options);
    case 'call':
      return compileCall(node.name, node.args, options);
    case 'unary':
      return compileUnary(node.op, compileNode(node.operand, options));
    case 'binary':
      checkCodes(node, options);
      return compileBinary(node.op, compileNode(node.left, options), compileNode(node.right, options));
  }
}

const COMPARISONS: ReadonlySet<BinaryOp> = new Set(['==', '!=', 'in', 'not in']);

/** Throws when a code field is compared with text it can never hold (see `CompileOptions.codeFields`). */
function checkCodes(node: Extract<Node, { kind: 'binary' }>, options: CompileOptions): void {
  if (!options.codeFields || !COMPARISONS.has(node.op)) return;
  for (const [field, other] of [
    [node.left, node.right],
    [node.right, node.left],
  ] as const) {
    if (field.kind !== 'variable') continue;
    const codeField = options.codeFields[field.name];
    if (!codeField) continue;
    const { texts, where } = textsOf(other, options);
    const wrong = texts.find((text) => !codeField.codes.has(text));
    if (wrong !== undefined)
      throw new ExpressionSyntaxError(
        `${field.name} holds ${codeField.what}: '${wrong}'${where} is never equal to it`,
      );
  }
}

/**
 * The texts a literal, a list of literals or a named list holds, and where they come from; a
 * number as the text it matches (`5` matches only "5", never a code).
 */
function textsOf(node: Node, options: CompileOptions): { texts: string[]; where: string } {
  if (node.kind === 'literal') return { texts: textsIn([node.value]), where: '' };
  if (node.kind === 'list') {
    const values = node.items.map((item) => (item.kind === 'literal' ? item.value : undefined));
    return { texts: textsIn(values), where: '' };
  }
  const [arg] = node.kind === 'call' && node.name === 'list' ? node.args : [];
  if (arg?.kind === 'literal' && typeof arg.value === 'string' && Object.hasOwn(options.lists, arg.value))
    return { texts: textsIn(options.lists[arg.value] ?? []), where: ` (list '${arg.value}')` };
  return { texts: [], where: '' };
}

function textsIn(values: readonly unknown[]): string[] {
  return values.flatMap((v) => (typeof v === 'string' ? [v] : typeof v === 'number' ? [String(v)] : []));
}

function compileVariable(name: string, options: CompileOptions): Evaluator {
  if (!options.variables.has(name)) {
    throw new ExpressionSyntaxError(`Unknown field '${name}'`);
  }
  return (context) => context[name] ?? null;
}

function compileList(items: readonly Node[], options: CompileOptions): Evaluator {
  if (items.every((item) => item.kind === 'literal')) {
    const values = membershipSet(items.map((item) => (item as { value: unknown }).value));
    return () => values;
  }
  const evaluators = items.map((item) => compileNode(item, options));
  return (context) => membershipSet(evaluators.map((evaluate) => evaluate(context)));
}

/**
 * The values of a list for `in`: a number also as the text the transaction parser makes of it
 * (an account id sent as 777 is the string "777"), and a text that is a number written that
 * way also as the number, so `account_id in [777]` and `amount in ['100']` match as they read.
 */
function membershipSet(values: readonly unknown[]): ReadonlySet<unknown> {
  const set = new Set<unknown>(values);
  for (const value of values) {
    if (typeof value === 'number') set.add(String(value));
    else if (typeof value === 'string' && value !== '' && String(Number(value)) === value)
      set.add(Number(value));
  }
  return set;
}

function compileCall(name: string, args: readonly Node[], options: CompileOptions): Evaluator {
  if (name === 'list') return compileNamedList(args, options);
  const fn = conditionFunction(name);
  if (!fn) throw new ExpressionSyntaxError(`Unknown function '${name}'`);
  const evaluators = args.map((arg) => compileNode(arg, options));
  const argument = argumentCheck(fn.takes, name);
  // A stored rule set is compiled without the save-time check of argument counts: a missing
  // argument is checked as null (`abs()` fails, never gives NaN) and extra ones are left out.
  const count = Math.min(Math.max(args.length, fn.min), fn.max);
  return (context) => {
    const values = evaluators.map((evaluate) => evaluate(context));
    const checked: unknown[] = [];
    for (let i = 0; i < count; i++) checked.push(argument(values[i]));
    return fn.apply(checked);
  };
}

/** Checks a function's argument at run time, as the operators check theirs. */
function argumentCheck(kind: Kind, name: string): (value: unknown) => unknown {
  if (kind === 'number') return (value) => numberOf(value, name);
  if (kind === 'text') return (value) => stringOf(value, name);
  return (value) => value;
}

function compileNamedList(args: readonly Node[], options: CompileOptions): Evaluator {
  const [arg] = args;
  if (args.length !== 1 || arg?.kind !== 'literal' || typeof arg.value !== 'string') {
    throw new ExpressionSyntaxError("list() takes one quoted list name, e.g. list('deny_accounts')");
  }
  const values = Object.hasOwn(options.lists, arg.value) ? options.lists[arg.value] : undefined;
  if (!Array.isArray(values)) throw new ExpressionSyntaxError(`Unknown list '${arg.value}'`);
  const set = membershipSet(values);
  return () => set;
}

function compileUnary(op: '-' | 'not', operand: Evaluator): Evaluator {
  if (op === '-') return (context) => -numberOf(operand(context), '-');
  return (context) => !booleanOf(operand(context), 'not');
}

/**
 * `==` as `in` compares ({@link membershipSet}): a number equals the text it is written as, so
 * `account_id == 777` matches an account id sent as 777 (stored as the text '777').
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'string') return String(a) === b;
  if (typeof a === 'string' && typeof b === 'number') return a === String(b);
  return a === b;
}

function compileBinary(op: BinaryOp, left: Evaluator, right: Evaluator): Evaluator {
  switch (op) {
    case 'and':
      return (c) => booleanOf(left(c), 'and') && booleanOf(right(c), 'and');
    case 'or':
      return (c) => booleanOf(left(c), 'or') || booleanOf(right(c), 'or');
    case '==':
      return (c) => sameValue(left(c), right(c));
    case '!=':
      return (c) => !sameValue(left(c), right(c));
    case 'in':
      return (c) => collectionOf(right(c)).has(left(c));
    case 'not in':
      return (c) => !collectionOf(right(c)).has(left(c));
    default:
      return compileArithmetic(op, left, right);
  }
}

const ARITHMETIC: Readonly<Record<string, (a: number, b: number) => unknown>> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => (b === 0 ? fail('division by zero') : a / b),
  '%': (a, b) => (b === 0 ? fail('division by zero') : a % b),
};

function compileArithmetic(op: BinaryOp, left: Evaluator, right: Evaluator): Evaluator {
  const apply = ARITHMETIC[op] as (a: number, b: number) => unknown;
  return (c) => apply(numberOf(left(c), op), numberOf(right(c), op));
}

function numberOf(value: unknown, op: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return fail(`'${op}' needs numbers, got ${describe(value)}`);
}

function stringOf(value: unknown, op: string): string {
  if (typeof value === 'string') return value;
  return fail(`'${op}' needs a string, got ${describe(value)}`);
}

function booleanOf(value: unknown, op: string): boolean {
  if (typeof value === 'boolean') return value;
  return fail(`'${op}' needs true/false, got ${describe(value)}`);
}

function collectionOf(value: unknown): ReadonlySet<unknown> {
  if (value instanceof Set) return value;
  return fail(`'in' needs a list, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'a number that is not one (NaN)' : 'a number out of range';
  return value === null || value === undefined ? 'null' : typeof value;
}

function fail(message: string): never {
  throw new EvaluationError(message);
}
