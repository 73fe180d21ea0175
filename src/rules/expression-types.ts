/**
 * Save-time type check of a parsed condition: refuses what could only ever be an `error`
 * outcome or never true/false (`amount in 5`, `account_id > 5`, `min() > 1`, `amount + 1`
 * as a whole condition). Only certain mismatches are refused: a field that may be null, or
 * a value whose kind is not known before it runs (`coalesce` of mixed kinds), passes.
 */
import { conditionFunction, type Kind } from './expression-functions.js';
import { childrenOf, ExpressionSyntaxError, type BinaryOp, type Node } from './expression-parser.js';

export type { Kind } from './expression-functions.js';

const WORDS: Readonly<Record<Kind, string>> = {
  number: 'a number',
  text: 'text',
  boolean: 'true/false',
  list: 'a list',
  null: 'null',
  any: 'anything',
};

const COMPARE: ReadonlySet<BinaryOp> = new Set(['<', '<=', '>', '>=']);
const ARITHMETIC: ReadonlySet<BinaryOp> = new Set(['+', '-', '*', '/', '%']);

/** Throws {@link ExpressionSyntaxError} unless `node` can give true or false; `fields` gives each field's kind. */
export function checkConditionTypes(node: Node, fields: Readonly<Record<string, Kind>>): void {
  const kind = kindOf(node, fields);
  if (!fits(kind, 'boolean'))
    throw new ExpressionSyntaxError(`A condition must give true or false; this one gives ${WORDS[kind]}`);
}

const fits = (kind: Kind, wanted: Kind) => kind === wanted || kind === 'any' || wanted === 'any';

/** A node's kind, found below it first; children's kinds are looked up, not recursed into. */
type KindOfChild = (node: Node) => Kind;

/**
 * The kind `root` gives, checking every node on the way up, without recursion: a chain of
 * 2,000 operators (what the parser allows) would overflow the stack.
 */
function kindOf(root: Node, fields: Readonly<Record<string, Kind>>): Kind {
  const kinds = new Map<Node, Kind>();
  const of: KindOfChild = (n) => kinds.get(n) ?? 'any';
  const pending: [Node, boolean][] = [[root, false]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, childrenDone] = next;
    if (!childrenDone) {
      pending.push([node, true]);
      for (const child of childrenOf(node)) pending.push([child, false]);
    } else kinds.set(node, kindHere(node, fields, of));
  }
  return of(root);
}

function kindHere(node: Node, fields: Readonly<Record<string, Kind>>, of: KindOfChild): Kind {
  switch (node.kind) {
    case 'literal':
      if (typeof node.value === 'number' && !Number.isFinite(node.value))
        throw new ExpressionSyntaxError('A number is too large to compute with (it reads as infinity)');
      return node.value === null
        ? 'null'
        : typeof node.value === 'string'
          ? 'text'
          : (typeof node.value as Kind);
    case 'variable':
      return fields[node.name] ?? 'any';
    case 'list':
      return 'list';
    case 'call':
      return callKind(node.name, node.args, of);
    case 'unary':
      return need(node.operand, node.op === '-' ? 'number' : 'boolean', `'${node.op}'`, of);
    case 'binary':
      return binaryKind(node.op, node.left, node.right, of);
  }
}

/** The kind `op` gives, once its operands are checked. */
function binaryKind(op: BinaryOp, left: Node, right: Node, of: KindOfChild): Kind {
  const name = `'${op}'`;
  if (op === 'and' || op === 'or') return both(left, right, 'boolean', name, of, 'boolean');
  if (op === 'in' || op === 'not in') {
    need(right, 'list', name, of);
    return 'boolean';
  }
  if ((op === '/' || op === '%') && isZero(right)) throw new ExpressionSyntaxError(`${name} by zero`);
  if (COMPARE.has(op)) return both(left, right, 'number', name, of, 'boolean');
  if (ARITHMETIC.has(op)) return both(left, right, 'number', name, of, 'number');
  return 'boolean'; // == and != compare anything with anything
}

function both(left: Node, right: Node, wanted: Kind, op: string, of: KindOfChild, gives: Kind): Kind {
  need(left, wanted, op, of);
  need(right, wanted, op, of);
  return gives;
}

/** Checks that `node` can be of kind `wanted` for `op`; returns `wanted`. */
function need(node: Node, wanted: Kind, op: string, of: KindOfChild): Kind {
  const kind = of(node);
  if (fits(kind, wanted)) return wanted;
  const what = kind === 'null' ? 'null' : `${shown(node)}, ${WORDS[kind]}`;
  throw new ExpressionSyntaxError(`${op} needs ${WORDS[wanted]}, not ${what}`);
}

function callKind(name: string, args: readonly Node[], of: KindOfChild): Kind {
  if (name === 'list') return 'list';
  const fn = conditionFunction(name);
  if (!fn) return 'any'; // the compiler names an unknown function
  if (args.length < fn.min || args.length > fn.max) {
    const count = fn.min === fn.max ? `${fn.min}` : `at least ${fn.min}`;
    throw new ExpressionSyntaxError(
      `${name}() takes ${count} argument${fn.min === 1 ? '' : 's'}, not ${args.length}`,
    );
  }
  for (const arg of args) need(arg, fn.takes, `${name}()`, of);
  return fn.gives;
}

/** How a node is named in a message: a literal or a field as written, anything else by its kind of node. */
function shown(node: Node): string {
  if (node.kind === 'literal') return typeof node.value === 'string' ? `'${node.value}'` : String(node.value);
  if (node.kind === 'variable') return node.name;
  if (node.kind === 'call') return `${node.name}(…)`;
  if (node.kind === 'list') return 'the list';
  return 'its operand';
}

/** A literal 0 (or -0): dividing by it can only fail. */
function isZero(node: Node): boolean {
  if (node.kind === 'unary' && node.op === '-') return isZero(node.operand);
  return node.kind === 'literal' && node.value === 0;
}
