/**
 * The row filter of dataset-sourced extracts: a small WHERE-like language evaluated per CSV row.
 *
 *   expr       := or
 *   or         := and ( OR and )*
 *   and        := not ( AND not )*
 *   not        := NOT not | '(' expr ')' | comparison
 *   comparison := column op value | column IS [NOT] NULL | column [NOT] IN '(' value (',' value)* ')'
 *   column     := [A-Za-z_][A-Za-z0-9_.]*  |  "double quoted"
 *   op         := = | == | != | <> | < | <= | > | >=
 *   value      := number | 'single quoted' ('' escapes a quote) | true | false
 *
 * Keywords are case-insensitive. An empty cell is NULL: every comparison with it is false (as in
 * SQL), only IS NULL matches it. A number literal compares numerically (a cell that is not a
 * number never matches); a string literal compares as text.
 */
import { invalid } from '../../errors.js';

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=';
type Literal =
  { kind: 'number'; value: number } | { kind: 'string'; value: string } | { kind: 'bool'; value: boolean };

type Node =
  | { type: 'and' | 'or'; left: Node; right: Node }
  | { type: 'not'; inner: Node }
  | { type: 'cmp'; column: string; op: Op; value: Literal }
  | { type: 'null'; column: string; negated: boolean }
  | { type: 'in'; column: string; values: Literal[]; negated: boolean };

/** A parsed filter: the columns it reads and a predicate over a row accessor. */
export interface RowFilter {
  columns: string[];
  matches(cell: (column: string) => string | undefined): boolean;
}

interface Token {
  kind: 'ident' | 'qident' | 'number' | 'string' | 'op' | 'lparen' | 'rparen' | 'comma';
  text: string;
  pos: number;
}

const OPS = ['<=', '>=', '!=', '<>', '==', '=', '<', '>'];

function fail(message: string): never {
  throw invalid(`queryFilter: ${message}`, {
    reason: 'invalid_filter',
    errors: [{ field: 'queryFilter', message }],
  });
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : 'comma', text: c, pos: i++ });
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, pos: i });
      i += op.length;
      continue;
    }
    if (c === "'" || c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= src.length)
          fail(`unterminated ${c === "'" ? 'string' : 'quoted column'} at position ${start + 1}`);
        if (src[i] === c) {
          if (src[i + 1] === c) {
            text += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += src[i++];
      }
      out.push({ kind: c === "'" ? 'string' : 'qident', text, pos: start });
      continue;
    }
    const num = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && /[\d.]/.test(c + (src[i + 1] ?? ''))) {
      out.push({ kind: 'number', text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    fail(`unexpected character '${c}' at position ${i + 1}`);
  }
  return out;
}

function parse(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const where = () => {
    const t = peek();
    return t ? `'${t.text}' at position ${t.pos + 1}` : 'the end of the filter';
  };
  const isKw = (t: Token | undefined, kw: string) => t?.kind === 'ident' && t.text.toUpperCase() === kw;
  const expectKw = (kw: string) => {
    if (!isKw(peek(), kw)) fail(`expected ${kw} but found ${where()}`);
    p++;
  };

  function literal(): Literal {
    const t = peek();
    if (t?.kind === 'number') {
      p++;
      return { kind: 'number', value: Number(t.text) };
    }
    if (t?.kind === 'string') {
      p++;
      return { kind: 'string', value: t.text };
    }
    if (isKw(t, 'TRUE') || isKw(t, 'FALSE')) {
      p++;
      return { kind: 'bool', value: t!.text.toUpperCase() === 'TRUE' };
    }
    return fail(`expected a value (number, 'text', true or false) but found ${where()}`);
  }

  function comparison(): Node {
    const t = peek();
    if (t?.kind === 'string')
      fail(`expected a column name but found the string ${where()}; quote column names with "double quotes"`);
    if (t?.kind !== 'ident' && t?.kind !== 'qident') fail(`expected a column name but found ${where()}`);
    if (t.kind === 'ident' && ['AND', 'OR', 'NOT', 'IS', 'IN', 'NULL'].includes(t.text.toUpperCase()))
      fail(`expected a column name but found ${where()}`);
    p++;
    const column = t.text;
    if (isKw(peek(), 'IS')) {
      p++;
      const negated = isKw(peek(), 'NOT');
      if (negated) p++;
      expectKw('NULL');
      return { type: 'null', column, negated };
    }
    const negatedIn = isKw(peek(), 'NOT');
    if (negatedIn || isKw(peek(), 'IN')) {
      if (negatedIn) p++;
      expectKw('IN');
      if (peek()?.kind !== 'lparen') fail(`expected '(' after IN but found ${where()}`);
      p++;
      const values = [literal()];
      while (peek()?.kind === 'comma') {
        p++;
        values.push(literal());
      }
      if (peek()?.kind !== 'rparen') fail(`expected ')' but found ${where()}`);
      p++;
      return { type: 'in', column, values, negated: negatedIn };
    }
    const o = peek();
    if (o?.kind !== 'op')
      fail(`expected an operator (=, !=, <, <=, >, >=, IS, IN) after '${column}' but found ${where()}`);
    p++;
    const op: Op = o.text === '==' ? '=' : o.text === '<>' ? '!=' : (o.text as Op);
    return { type: 'cmp', column, op, value: literal() };
  }

  function unary(): Node {
    if (isKw(peek(), 'NOT')) {
      p++;
      return { type: 'not', inner: unary() };
    }
    if (peek()?.kind === 'lparen') {
      p++;
      const inner = or();
      if (peek()?.kind !== 'rparen') fail(`expected ')' but found ${where()}`);
      p++;
      return inner;
    }
    return comparison();
  }
  function and(): Node {
    let left = unary();
    while (isKw(peek(), 'AND')) {
      p++;
      left = { type: 'and', left, right: unary() };
    }
    return left;
  }
  function or(): Node {
    let left = and();
    while (isKw(peek(), 'OR')) {
      p++;
      left = { type: 'or', left, right: and() };
    }
    return left;
  }

  if (toks.length === 0) fail('is empty');
  const node = or();
  if (p < toks.length) fail(`unexpected ${where()}`);
  return node;
}

function columnsOf(n: Node, out: Set<string>): Set<string> {
  switch (n.type) {
    case 'and':
    case 'or':
      columnsOf(n.left, out);
      columnsOf(n.right, out);
      break;
    case 'not':
      columnsOf(n.inner, out);
      break;
    default:
      out.add(n.column);
  }
  return out;
}

function compare(cell: string, v: Literal): number | null {
  if (v.kind === 'number') {
    const x = Number(cell);
    return Number.isNaN(x) ? null : x - v.value;
  }
  if (v.kind === 'bool') {
    const s = cell.toLowerCase();
    const b = s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : null;
    return b === null ? null : Number(b) - Number(v.value);
  }
  return cell < v.value ? -1 : cell > v.value ? 1 : 0;
}

function test(c: number, op: Op): boolean {
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
}

function evaluate(n: Node, cell: (column: string) => string | undefined): boolean {
  switch (n.type) {
    case 'and':
      return evaluate(n.left, cell) && evaluate(n.right, cell);
    case 'or':
      return evaluate(n.left, cell) || evaluate(n.right, cell);
    case 'not':
      return !evaluate(n.inner, cell);
    case 'null': {
      const v = cell(n.column);
      return (v === undefined || v === '') !== n.negated;
    }
    case 'in': {
      const v = cell(n.column);
      if (v === undefined || v === '') return false;
      return n.values.some((lit) => compare(v, lit) === 0) !== n.negated;
    }
    case 'cmp': {
      const v = cell(n.column);
      if (v === undefined || v === '') return false;
      const c = compare(v, n.value);
      return c !== null && test(c, n.op);
    }
  }
}

/** Parses a filter; throws AppError invalid (400) naming the position of the first problem. */
export function parseRowFilter(source: string): RowFilter {
  const root = parse(source);
  return {
    columns: [...columnsOf(root, new Set())],
    matches: (cell) => evaluate(root, cell),
  };
}
