/**
 * Parser of rule conditions: a small expression language over transaction fields and
 * features, e.g. `balance != null and amount > 0.9 * balance`.
 *
 * Grammar (lowest precedence first):
 *   or      := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | compare
 *   compare := sum (('=='|'!='|'<'|'<='|'>'|'>='|'in'|'not in') sum)?
 *   sum     := product (('+'|'-') product)*
 *   product := unary (('*'|'/'|'%') unary)*
 *   unary   := '-' unary | primary
 *   primary := number | string | true | false | null | name | name '(' args ')' | '(' or ')' | '[' items ']'
 */
export type Node =
  | { readonly kind: 'literal'; readonly value: number | string | boolean | null }
  | { readonly kind: 'variable'; readonly name: string }
  | { readonly kind: 'list'; readonly items: readonly Node[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Node[] }
  | { readonly kind: 'unary'; readonly op: '-' | 'not'; readonly operand: Node }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node };

export type BinaryOp =
  'or' | 'and' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | '+' | '-' | '*' | '/' | '%';

/** A condition that cannot be parsed; `position` is the offset of the offending token. */
export class ExpressionSyntaxError extends Error {
  /** `position`: where in the text the problem is; undefined for the whole condition (an unknown name, a wrong list). */
  constructor(
    message: string,
    readonly position?: number,
  ) {
    super(position === undefined ? message : `${message} at position ${position}`);
    this.name = 'ExpressionSyntaxError';
  }
}

interface Token {
  readonly type: 'number' | 'string' | 'name' | 'op' | 'end';
  readonly text: string;
  readonly position: number;
}

const TOKEN =
  /(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][\w.]*)|(==|!=|<=|>=|&&|\|\||[-+*/%<>()[\],!])/y;
const WORD_OPS: Readonly<Record<string, string>> = { '&&': 'and', '||': 'or', '!': 'not' };
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let position = skipSpaces(source, 0);
  while (position < source.length) {
    TOKEN.lastIndex = position;
    const match = TOKEN.exec(source);
    if (!match) throw new ExpressionSyntaxError(`Unexpected character '${source[position]}'`, position);
    tokens.push(tokenOf(match, position));
    position = skipSpaces(source, TOKEN.lastIndex);
  }
  tokens.push({ type: 'end', text: '', position: source.length });
  return tokens;
}

function skipSpaces(source: string, from: number): number {
  let position = from;
  while (position < source.length && /\s/.test(source[position] as string)) position++;
  return position;
}

function tokenOf(match: RegExpExecArray, position: number): Token {
  if (match[1] !== undefined) return { type: 'number', text: match[1], position };
  if (match[2] !== undefined) return { type: 'string', text: unquote(match[2]), position };
  const word = match[3];
  if (word !== undefined) return { type: KEYWORDS.has(word) ? 'op' : 'name', text: word, position };
  const op = match[4] ?? '';
  return { type: 'op', text: WORD_OPS[op] ?? op, position };
}

function unquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** Parses `source` into a syntax tree; throws {@link ExpressionSyntaxError}. */
export function parseExpression(source: string): Node {
  const parser = new Parser(tokenize(source));
  const node = parser.or();
  parser.expectEnd();
  if (chainLength(node) > MAX_TREE_DEPTH) {
    throw new ExpressionSyntaxError(`The condition chains more than ${MAX_TREE_DEPTH} operators`, 0);
  }
  return node;
}

/**
 * Deepest nesting a condition may have (brackets, `not`, unary minus, lists, calls). Parsing,
 * compiling and evaluating recurse once per level, and thousands of levels overflowed the
 * stack (a 500 instead of a refused rule set).
 */
export const MAX_DEPTH = 200;

/**
 * Longest chain of operators (`a or b or …`, `a + b + …`): each term is one more level of the
 * tree the compiler and the evaluator recurse through. Far above any real rule (a list of
 * alternatives belongs in `in [...]`), far below the ~9,000 levels that overflowed the stack.
 */
export const MAX_TREE_DEPTH = 2000;

function tooDeep(position: number): ExpressionSyntaxError {
  return new ExpressionSyntaxError(`The condition is nested more than ${MAX_DEPTH} levels deep`, position);
}

/**
 * The most operators (nodes with operands) on one path from `root` down, counted without
 * recursion: `a + b + c > 0` chains three.
 */
function chainLength(root: Node): number {
  let longest = 0;
  const pending: [Node, number][] = [[root, 0]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, above] = next;
    const children = childrenOf(node);
    const length = children.length > 0 ? above + 1 : above;
    longest = Math.max(longest, length);
    for (const child of children) pending.push([child, length]);
  }
  return longest;
}

/** The nodes directly under `node`, left to right. */
export function childrenOf(node: Node): readonly Node[] {
  switch (node.kind) {
    case 'list':
      return node.items;
    case 'call':
      return node.args;
    case 'unary':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    default:
      return [];
  }
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** Whether `token` is the operator or keyword `text`: a quoted 'not' or ')' is a string, not one. */
function isOp(token: Token | undefined, text: string): boolean {
  return token?.type === 'op' && token.text === text;
}

class Parser {
  private index = 0;
  /** Nested calls of the parser itself, bounded before they can overflow the stack. */
  /** Levels of nesting entered: each bracket, call, `not` or unary minus is one. */
  private depth = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  or(): Node {
    let node = this.and();
    while (this.accept('or')) node = { kind: 'binary', op: 'or', left: node, right: this.and() };
    return node;
  }

  and(): Node {
    let node = this.not();
    while (this.accept('and')) node = { kind: 'binary', op: 'and', left: node, right: this.not() };
    return node;
  }

  not(): Node {
    if (isOp(this.peek(), 'not') && !isOp(this.tokens[this.index + 1], 'in')) {
      this.index++;
      return { kind: 'unary', op: 'not', operand: this.nested(() => this.not()) };
    }
    return this.compare();
  }

  compare(): Node {
    const left = this.sum();
    const token = this.peek();
    if (token.type === 'op' && COMPARISONS.has(token.text)) {
      this.index++;
      return { kind: 'binary', op: token.text as BinaryOp, left, right: this.sum() };
    }
    if (this.accept('in')) return { kind: 'binary', op: 'in', left, right: this.sum() };
    if (isOp(token, 'not') && isOp(this.tokens[this.index + 1], 'in')) {
      this.index += 2;
      return { kind: 'binary', op: 'not in', left, right: this.sum() };
    }
    return left;
  }

  sum(): Node {
    let node = this.product();
    for (let op = this.acceptOneOf('+', '-'); op; op = this.acceptOneOf('+', '-')) {
      node = { kind: 'binary', op, left: node, right: this.product() };
    }
    return node;
  }

  product(): Node {
    let node = this.unary();
    for (let op = this.acceptOneOf('*', '/', '%'); op; op = this.acceptOneOf('*', '/', '%')) {
      node = { kind: 'binary', op, left: node, right: this.unary() };
    }
    return node;
  }

  unary(): Node {
    if (this.accept('-')) return { kind: 'unary', op: '-', operand: this.nested(() => this.unary()) };
    return this.primary();
  }

  primary(): Node {
    const token = this.next();
    if (token.type === 'number') return { kind: 'literal', value: Number(token.text) };
    if (token.type === 'string') return { kind: 'literal', value: token.text };
    if (token.type === 'name') return this.nameOrCall(token);
    const literal = literalOf(token.text);
    if (literal !== undefined) return { kind: 'literal', value: literal };
    if (token.text === '(') return this.nested(() => this.closedBy(')', this.or()));
    if (token.text === '[') return this.nested(() => ({ kind: 'list', items: this.items(']') }));
    throw new ExpressionSyntaxError(
      token.type === 'end' ? 'Unexpected end of condition' : `Unexpected '${token.text}'`,
      token.position,
    );
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.type !== 'end') throw new ExpressionSyntaxError(`Unexpected '${token.text}'`, token.position);
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_DEPTH) throw tooDeep(this.peek().position);
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private nameOrCall(token: Token): Node {
    if (!this.accept('(')) return { kind: 'variable', name: token.text };
    return this.nested(() => ({ kind: 'call', name: token.text, args: this.items(')') }));
  }

  private items(close: string): Node[] {
    const items: Node[] = [];
    if (this.accept(close)) return items;
    do items.push(this.or());
    while (this.accept(','));
    this.closedBy(close, null);
    return items;
  }

  private closedBy<T>(close: string, value: T): T {
    const token = this.next();
    if (!isOp(token, close)) throw new ExpressionSyntaxError(`Expected '${close}'`, token.position);
    return value;
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.index++;
    return token;
  }

  private accept(text: string): boolean {
    const token = this.peek();
    if (token.type !== 'op' || token.text !== text) return false;
    this.index++;
    return true;
  }

  private acceptOneOf<T extends BinaryOp>(...ops: T[]): T | undefined {
    return ops.find((op) => this.accept(op));
  }
}

function literalOf(text: string): boolean | null | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  return undefined;
}
