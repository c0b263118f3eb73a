/**
 * Classifies raw SQL (cursor.execute, .raw) by what it reads and writes. A small tokenizer, not a
 * parser: it finds the statement verb and the table positions (FROM, JOIN, INTO, UPDATE ...),
 * so columns like `updated_at` and keywords inside literals never count.
 */

export type SqlKind = 'select' | 'insert' | 'update' | 'delete' | 'other';

export interface SqlClass {
  kind: SqlKind;
  /** Lower-cased table names without schema; UNKNOWN_TABLE where a name is a hole or parameter. */
  reads: string[];
  writes: string[];
}

/** A table whose name comes from an f-string hole or a query parameter. */
const UNKNOWN_TABLE = '?';

type TokKind = 'word' | 'quoted' | 'unknown' | 'string' | 'number' | 'punct';
interface Tok {
  kind: TokKind;
  text: string;
  upper: string;
}

/** Words that end a table reference instead of being its alias. */
const CLAUSE_WORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'ORDER',
  'HAVING',
  'LIMIT',
  'OFFSET',
  'FETCH',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'JOIN',
  'INNER',
  'LEFT',
  'RIGHT',
  'FULL',
  'OUTER',
  'CROSS',
  'NATURAL',
  'STRAIGHT_JOIN',
  'ON',
  'USING',
  'SET',
  'VALUES',
  'RETURNING',
  'WINDOW',
  'FOR',
  'INTO',
  'AS',
  'WITH',
  'DEFAULT',
  'AND',
  'OR',
  'NOT',
  'IN',
  'IS',
  'NULL',
  'LATERAL',
  'ONLY',
  'PARTITION',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'OVERRIDING',
]);
/** Functions whose argument syntax contains FROM without naming a table. */
const FROM_FUNCTIONS = new Set(['EXTRACT', 'SUBSTRING', 'SUBSTR', 'TRIM', 'OVERLAY']);
const WRITE_KINDS: SqlKind[] = ['insert', 'update', 'delete'];

export function classifySql(sql: string): SqlClass {
  const tokens = tokenize(sql);
  const state = new Scan(tokens);
  const kinds: SqlKind[] = [];
  let start = 0;
  for (let i = 0; i <= tokens.length; i++) {
    if (i === tokens.length || (tokens[i].text === ';' && state.depthAt(i) === 0)) {
      if (i > start) kinds.push(state.statement(start, i));
      start = i + 1;
    }
  }
  // A data-modifying CTE (WITH d AS (DELETE ...) SELECT ...) makes the whole query a write.
  kinds.push(...state.cteKinds);
  const notCte = (name: string) => !state.ctes.has(name);
  return {
    kind: kinds.find((k) => WRITE_KINDS.includes(k)) ?? (kinds.includes('select') ? 'select' : 'other'),
    reads: unique(state.reads.filter(notCte)),
    writes: unique(state.writes.filter(notCte)),
  };
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

class Scan {
  readonly reads: string[] = [];
  readonly writes: string[] = [];
  readonly ctes = new Set<string>();
  readonly cteKinds: SqlKind[] = [];
  /** alias → table, so MySQL's `DELETE p FROM shop_product p` names the table. */
  private readonly aliases = new Map<string, string>();
  private readonly close: number[];
  private readonly depth: number[];

  constructor(private readonly toks: Tok[]) {
    this.close = new Array<number>(toks.length).fill(-1);
    this.depth = new Array<number>(toks.length).fill(0);
    const open: number[] = [];
    toks.forEach((tok, i) => {
      this.depth[i] = open.length;
      if (tok.text === '(') open.push(i);
      else if (tok.text === ')' && open.length) this.close[open.pop()!] = i;
    });
  }

  depthAt(i: number): number {
    return this.depth[i];
  }

  /** Index of the `)` matching the `(` at i, or end when unbalanced. */
  private closing(i: number, end: number): number {
    const c = this.close[i];
    return c === -1 || c > end ? end : c;
  }

  private is(i: number, upper: string): boolean {
    const tok = this.toks[i];
    return tok !== undefined && tok.kind === 'word' && tok.upper === upper;
  }

  /** Classifies toks[start, end) and records its tables; returns the statement's kind. */
  statement(start: number, end: number): SqlKind {
    let i = start;
    while (i < end && this.toks[i].text === '(') i++;
    if (this.is(i, 'WITH')) i = this.withClause(i + 1, end);
    const verb = i < end && this.toks[i].kind === 'word' ? this.toks[i].upper : '';
    i++;
    switch (verb) {
      case 'SELECT':
      case 'VALUES':
        this.scanReads(i, end);
        return 'select';
      case 'INSERT':
      case 'REPLACE':
        while (
          i < end &&
          ['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'OR', 'ROLLBACK', 'ABORT', 'FAIL', 'REPLACE'].includes(
            this.toks[i].upper,
          )
        )
          i++;
        if (this.is(i, 'INTO')) i++;
        this.scanReads(this.tableRef(i, end, this.writes, false), end);
        return 'insert';
      case 'UPDATE':
        while (
          i < end &&
          ['ONLY', 'LOW_PRIORITY', 'IGNORE', 'OR', 'ROLLBACK', 'ABORT', 'FAIL', 'REPLACE'].includes(this.toks[i].upper)
        )
          i++;
        this.scanReads(this.tableList(i, end, this.writes, false), end);
        return 'update';
      case 'DELETE':
        while (i < end && ['LOW_PRIORITY', 'QUICK', 'IGNORE'].includes(this.toks[i].upper)) i++;
        if (this.is(i, 'FROM')) {
          this.scanReads(this.tableRef(i + 1, end, this.writes, false), end);
        } else {
          // MySQL multi-table form: DELETE p FROM shop_product p JOIN ...; targets may be aliases.
          const targets: string[] = [];
          this.aliases.clear();
          this.scanReads(this.tableList(i, end, targets, false), end);
          this.writes.push(...targets.map((name) => this.aliases.get(name) ?? name));
        }
        return 'delete';
      case 'TRUNCATE':
        if (this.is(i, 'TABLE')) i++;
        this.tableList(i, end, this.writes, false);
        return 'delete';
      case 'COPY': {
        // COPY table [(cols)] FROM ... adds rows; COPY table TO / COPY (query) TO reads.
        if (this.toks[i]?.text === '(') {
          this.scanReads(i, end);
          return 'select';
        }
        const target: string[] = [];
        let j = this.tableRef(i, end, target, false);
        if (this.toks[j]?.text === '(') j = this.closing(j, end) + 1;
        if (this.is(j, 'FROM')) {
          this.writes.push(...target);
          return 'insert';
        }
        this.reads.push(...target);
        return 'select';
      }
      case 'MERGE':
        if (this.is(i, 'INTO')) i++;
        this.scanReads(this.tableRef(i, end, this.writes, false), end);
        return 'update';
      default:
        return 'other';
    }
  }

  /** `name [(cols)] AS [NOT] [MATERIALIZED] (body), ...`; returns the index of the main verb. */
  private withClause(i: number, end: number): number {
    if (this.is(i, 'RECURSIVE')) i++;
    while (i < end) {
      const name = identName(this.toks[i]);
      if (name === null) return i;
      this.ctes.add(name);
      i++;
      if (this.toks[i]?.text === '(') i = this.closing(i, end) + 1;
      if (this.is(i, 'AS')) i++;
      if (this.is(i, 'NOT')) i++;
      if (this.is(i, 'MATERIALIZED')) i++;
      if (this.toks[i]?.text !== '(') return i;
      const bodyEnd = this.closing(i, end);
      this.cteKinds.push(this.statement(i + 1, bodyEnd));
      i = bodyEnd + 1;
      if (this.toks[i]?.text !== ',') return i;
      i++;
    }
    return i;
  }

  /** Finds table positions anywhere in toks[i, end): FROM/JOIN/USING lists, nested WITH queries. */
  private scanReads(i: number, end: number): void {
    while (i < end) {
      const tok = this.toks[i];
      if (tok.text === '(') {
        if (this.toks[i - 1]?.kind === 'word' && FROM_FUNCTIONS.has(this.toks[i - 1].upper)) {
          i = this.closing(i, end) + 1;
          continue;
        }
        if (this.is(i + 1, 'WITH')) {
          const close = this.closing(i, end);
          this.statement(i + 1, close);
          i = close + 1;
          continue;
        }
      }
      if (tok.kind === 'word') {
        if (tok.upper === 'FROM' && !(this.is(i - 1, 'DISTINCT') && (this.is(i - 2, 'IS') || this.is(i - 2, 'NOT')))) {
          i = this.tableList(i + 1, end, this.reads, true);
          continue;
        }
        if (tok.upper === 'USING') {
          i = this.tableList(i + 1, end, this.reads, true);
          continue;
        }
        if (tok.upper === 'JOIN' || tok.upper === 'STRAIGHT_JOIN') {
          i = this.tableRef(i + 1, end, this.reads, true);
          continue;
        }
      }
      i++;
    }
  }

  private tableList(i: number, end: number, into: string[], isRead: boolean): number {
    i = this.tableRef(i, end, into, isRead);
    while (i < end && this.toks[i].text === ',') i = this.tableRef(i + 1, end, into, isRead);
    return i;
  }

  /**
   * Reads `[ONLY|LATERAL] [schema.]name [[AS] alias]` at i and records the name; a `(` (subquery,
   * column list) is left for the caller's scan. Returns the index after the reference.
   */
  private tableRef(i: number, end: number, into: string[], isRead: boolean): number {
    while (this.is(i, 'ONLY') || this.is(i, 'LATERAL')) i++;
    if (i >= end) return i;
    let name = identName(this.toks[i]);
    if (name === null) return i;
    i++;
    while (i + 1 < end && this.toks[i].text === '.' && identName(this.toks[i + 1]) !== null) {
      name = identName(this.toks[i + 1])!;
      i += 2;
    }
    // A set-returning function (FROM generate_series(...)) is not a table.
    if (isRead && this.toks[i]?.text === '(') return i;
    into.push(name);
    if (this.is(i, 'AS')) i++;
    const alias = i < end ? identName(this.toks[i]) : null;
    if (alias !== null) {
      this.aliases.set(alias, name);
      i++;
    }
    return i;
  }
}

/** The lower-cased name of an identifier token, UNKNOWN_TABLE for holes, or null if not a name. */
function identName(tok: Tok | undefined): string | null {
  if (!tok) return null;
  if (tok.kind === 'unknown') return UNKNOWN_TABLE;
  if (tok.kind === 'quoted') return tok.text.toLowerCase();
  if (tok.kind === 'word' && !CLAUSE_WORDS.has(tok.upper)) return tok.text.toLowerCase();
  return null;
}

function tokenize(sql: string): Tok[] {
  const toks: Tok[] = [];
  const push = (kind: TokKind, text: string) => toks.push({ kind, text, upper: text.toUpperCase() });
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? sql.length : eol + 1;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? sql.length : close + 2;
    } else if (c === "'") {
      // E'...' strings take backslash escapes; standard strings double the quote.
      const prev = toks[toks.length - 1];
      const escaped = prev?.kind === 'word' && prev.upper === 'E' && /[eE]/.test(sql[i - 1] ?? '');
      const endAt = skipDelimited(sql, i, "'", escaped);
      if (escaped) toks.pop();
      push('string', sql.slice(i, endAt));
      i = endAt;
    } else if (c === '"' || c === '`' || c === '[') {
      const closer = c === '[' ? ']' : c;
      const endAt = skipDelimited(sql, i, closer, false);
      push(
        'quoted',
        sql
          .slice(i + 1, endAt - 1)
          .split(closer + closer)
          .join(closer),
      );
      i = endAt;
    } else if (c === '$' && /^\$(\w*)\$/.test(sql.slice(i, i + 64)) && !/^\$\d+\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$(\w*)\$/.exec(sql.slice(i, i + 64))![0];
      const close = sql.indexOf(tag, i + tag.length);
      const endAt = close === -1 ? sql.length : close + tag.length;
      push('string', sql.slice(i, endAt));
      i = endAt;
    } else if (/[\p{L}_{]/u.test(c) || (c === '%' && /[s(d]/.test(next ?? ''))) {
      const endAt = scanWord(sql, i);
      const text = sql.slice(i, endAt);
      push(/[{%]/.test(text) ? 'unknown' : 'word', text);
      i = endAt;
    } else if (/\d/.test(c)) {
      const m = /^\d*\.?\d+(?:[eE][+-]?\d+)?/.exec(sql.slice(i, i + 64));
      const endAt = i + Math.max(1, m ? m[0].length : 1);
      push('number', sql.slice(i, endAt));
      i = endAt;
    } else {
      push('punct', c);
      i++;
    }
  }
  return toks;
}

/** A word, where f-string holes `{...}` and %-parameters may be glued to letters: `shop_{name}`. */
function scanWord(sql: string, i: number): number {
  while (i < sql.length) {
    const c = sql[i];
    if (c === '{') {
      const close = sql.indexOf('}', i);
      i = close === -1 ? sql.length : close + 1;
    } else if (c === '%' && sql[i + 1] === '(') {
      const close = sql.indexOf(')', i);
      i = close === -1 ? sql.length : close + 2;
    } else if (c === '%' && /[sd]/.test(sql[i + 1] ?? '')) {
      i += 2;
    } else if (/[\p{L}\p{N}_$]/u.test(c)) {
      i++;
    } else {
      break;
    }
  }
  return i;
}

/** Index after the closing delimiter (doubled delimiters are escapes), or the end if unclosed. */
function skipDelimited(sql: string, open: number, closer: string, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    if (backslashEscapes && sql[i] === '\\') {
      i += 2;
    } else if (sql[i] === closer) {
      if (sql[i + 1] !== closer) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return sql.length;
}
