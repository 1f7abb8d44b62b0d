/**
 * Label and field selectors with the grammar and error behaviour of k8s.io/apimachinery
 * (`pkg/labels/selector.go`, `pkg/fields/selector.go`). The engine parses `labelSelector` /
 * `fieldSelector` query parameters here and hands the requirements to the store (which may push
 * them down to SQL) and to the watch filter (`matchesLabels` / `matchesFields`).
 *
 * Both parsers are total: for any input string they either return requirements or throw
 * `SelectorParseError` (→ HTTP 400). The fuzz test in selectors.test.ts holds them to that.
 */
import type { FieldRequirement, LabelRequirement } from '../store/types.js';

export class SelectorParseError extends Error {
  override name = 'SelectorParseError';
}

// ---------------------------------------------------------------------------------------------
// Label name/value validation (apimachinery pkg/util/validation).

const QUALIFIED_NAME_MAX = 63;
const LABEL_VALUE_MAX = 63;
const DNS1123_SUBDOMAIN_MAX = 253;
const qualifiedNameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValueRe = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const dns1123SubdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Errors of `validation.IsQualifiedName`, empty when `key` is a valid label key. */
export function labelKeyErrors(key: string): string[] {
  const parts = key.split('/');
  let name: string;
  const errs: string[] = [];
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (prefix.length > DNS1123_SUBDOMAIN_MAX)
      errs.push(`prefix part must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
    else if (!dns1123SubdomainRe.test(prefix))
      errs.push(
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      );
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > QUALIFIED_NAME_MAX)
    errs.push(`name part must be no more than ${QUALIFIED_NAME_MAX} characters`);
  if (name.length > 0 && !qualifiedNameRe.test(name))
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  return errs;
}

/** Errors of `validation.IsValidLabelValue`, empty when valid ('' is valid). */
export function labelValueErrors(value: string): string[] {
  const errs: string[] = [];
  if (value.length > LABEL_VALUE_MAX) errs.push(`must be no more than ${LABEL_VALUE_MAX} characters`);
  if (!labelValueRe.test(value))
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
    );
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Lexer (apimachinery labels.Lexer).

type Tok =
  | 'EOS'
  | 'ERROR'
  | 'IDENT'
  | 'NOT' // !
  | 'EQ' // =
  | 'DEQ' // ==
  | 'NEQ' // !=
  | 'IN'
  | 'NOTIN'
  | 'GT'
  | 'LT'
  | 'OPEN'
  | 'CLOSE'
  | 'COMMA';

interface Token {
  tok: Tok;
  lit: string;
}

const SYMBOLS: Record<string, Tok> = {
  '!': 'NOT',
  '!=': 'NEQ',
  '=': 'EQ',
  '==': 'DEQ',
  '>': 'GT',
  '<': 'LT',
  '(': 'OPEN',
  ')': 'CLOSE',
  ',': 'COMMA',
};
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => '=!()<>,'.includes(c);

function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isWhitespace(s[i]!)) i++;
    if (i >= s.length) {
      out.push({ tok: 'EOS', lit: '' });
      return out;
    }
    const c = s[i]!;
    if (isSpecial(c)) {
      // Longest run of special characters that is still a known symbol, like Go's scanSpecialSymbol.
      let lit = '';
      let tok: Tok | undefined;
      while (i < s.length && isSpecial(s[i]!)) {
        const next = lit + s[i]!;
        const t = SYMBOLS[next];
        if (t === undefined) break;
        lit = next;
        tok = t;
        i++;
      }
      if (tok === undefined) {
        out.push({ tok: 'ERROR', lit: s[i]! });
        return out;
      }
      out.push({ tok, lit });
      continue;
    }
    const start = i;
    while (i < s.length && !isWhitespace(s[i]!) && !isSpecial(s[i]!)) i++;
    const lit = s.slice(start, i);
    out.push({ tok: lit === 'in' ? 'IN' : lit === 'notin' ? 'NOTIN' : 'IDENT', lit });
  }
}

// ---------------------------------------------------------------------------------------------
// Parser (apimachinery labels.Parser). "Values" context turns keywords into identifiers.

class LabelParser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(values: boolean): Token {
    const t = this.toks[Math.min(this.pos, this.toks.length - 1)]!;
    if (values && (t.tok === 'IN' || t.tok === 'NOTIN')) return { tok: 'IDENT', lit: t.lit };
    return t;
  }
  private next(values: boolean): Token {
    const t = this.peek(values);
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  private fail(msg: string): never {
    throw new SelectorParseError(`unable to parse requirement: ${msg}`);
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.tok === 'EOS') return reqs;
      if (t.tok !== 'IDENT' && t.tok !== 'NOT')
        throw new SelectorParseError(
          t.tok === 'ERROR'
            ? `error expected: keyword found '${t.lit}'`
            : `found '${t.lit}', expected: !, identifier, or 'end of string'`,
        );
      reqs.push(this.requirement());
      const after = this.next(true);
      if (after.tok === 'EOS') return reqs;
      if (after.tok !== 'COMMA')
        throw new SelectorParseError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.peek(true);
      if (t2.tok !== 'IDENT' && t2.tok !== 'NOT')
        throw new SelectorParseError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next(true);
    let notExists = false;
    if (t.tok === 'NOT') {
      notExists = true;
      t = this.next(true);
    }
    if (t.tok !== 'IDENT') throw new SelectorParseError(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = labelKeyErrors(key);
    if (keyErrs.length) this.fail(`key: Invalid value: "${key}": ${keyErrs.join('; ')}`);
    if (notExists) return { key, op: 'notexists' };
    const la = this.peek(true);
    if (la.tok === 'EOS' || la.tok === 'COMMA') return { key, op: 'exists' };

    const opTok = this.next(false);
    switch (opTok.tok) {
      case 'IN':
      case 'NOTIN': {
        const values = this.values();
        if (values.length === 0) this.fail("for 'in', 'notin' operators, values set can't be empty");
        for (const v of values) this.checkValue(v);
        return { key, op: opTok.tok === 'IN' ? 'in' : 'notin', values };
      }
      case 'EQ':
      case 'DEQ':
      case 'NEQ': {
        const value = this.exactValue();
        this.checkValue(value);
        return { key, op: opTok.tok === 'NEQ' ? 'neq' : 'eq', value };
      }
      case 'GT':
      case 'LT':
        // apimachinery accepts `key>1` / `key<1`, but LabelRequirement (the store contract) has no
        // integer comparison. Reject explicitly rather than silently dropping a filter.
        throw new SelectorParseError(`operator '${opTok.lit}' is not supported by this server`);
      default:
        throw new SelectorParseError(`found '${opTok.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private checkValue(v: string): void {
    const errs = labelValueErrors(v);
    if (errs.length) this.fail(`values[0]: Invalid value: "${v}": ${errs.join('; ')}`);
  }

  private exactValue(): string {
    const la = this.peek(true);
    if (la.tok === 'EOS' || la.tok === 'COMMA') return '';
    const t = this.next(true);
    if (t.tok === 'IDENT') return t.lit;
    throw new SelectorParseError(`found '${t.lit}', expected: identifier`);
  }

  /** `( a, b, ... )`; empty members are "" exactly as apimachinery's parseValues/parseIdentifiersList. */
  private values(): string[] {
    const open = this.next(true);
    if (open.tok !== 'OPEN') throw new SelectorParseError(`found '${open.lit}' expected: '('`);
    const la = this.peek(true);
    if (la.tok === 'CLOSE') {
      this.next(true);
      return [''];
    }
    if (la.tok !== 'IDENT' && la.tok !== 'COMMA')
      throw new SelectorParseError(`found '${la.lit}', expected: ',', ')' or identifier`);
    const set = this.identifiersList();
    const close = this.next(true);
    if (close.tok !== 'CLOSE') throw new SelectorParseError(`found '${close.lit}', expected: ')'`);
    return [...set].sort(cmp);
  }

  private identifiersList(): Set<string> {
    const set = new Set<string>();
    // Every iteration consumes a token and EOS is an error, so this terminates.
    for (;;) {
      const t = this.next(true);
      if (t.tok === 'IDENT') {
        set.add(t.lit);
        const t2 = this.peek(true);
        if (t2.tok === 'COMMA') continue;
        if (t2.tok === 'CLOSE') return set;
        throw new SelectorParseError(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === 'COMMA') {
        if (set.size === 0) set.add(''); // "(,a)"
        const t2 = this.peek(true);
        if (t2.tok === 'CLOSE') {
          set.add(''); // "(a,)"
          return set;
        }
        if (t2.tok === 'COMMA') {
          this.next(true);
          set.add(''); // "(a,,b)"
        }
      } else {
        throw new SelectorParseError(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }
}

/**
 * Parse a label selector string. '' (or only whitespace) selects everything (no requirements).
 * Requirements come back sorted by key, as apimachinery's `internalSelector` sorts them, and
 * `in`/`notin` values sorted and de-duplicated.
 */
export function parseLabelSelector(s: string): LabelRequirement[] {
  const reqs = new LabelParser(lex(s)).parse();
  // Stable sort by key, like sort.Sort(ByKey(...)) (which is not stable in Go; order of equal keys
  // is irrelevant since requirements are ANDed).
  return reqs
    .map((r, i) => [r, i] as const)
    .sort((a, b) => cmp(a[0].key, b[0].key) || a[1] - b[1])
    .map(([r]) => r);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether a set of labels satisfies every requirement (labels.Selector.Matches). */
export function matchesLabels(
  reqs: readonly LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  const ls = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(ls, r.key);
    const v = has ? ls[r.key] : undefined;
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'eq':
        if (!has || v !== r.value) return false;
        break;
      case 'neq':
        // Like apimachinery: `a!=b` also matches objects without the label.
        if (has && v === r.value) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
    }
  }
  return true;
}

/** Render requirements back to selector syntax (for logs, continue-token binding and tests). */
export function formatLabelSelector(reqs: readonly LabelRequirement[]): string {
  return reqs
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
        case 'eq':
          return `${r.key}=${r.value}`;
        case 'neq':
          return `${r.key}!=${r.value}`;
        case 'in':
          return `${r.key} in (${r.values.join(',')})`;
        case 'notin':
          return `${r.key} notin (${r.values.join(',')})`;
      }
      return '';
    })
    .join(',');
}

// ---------------------------------------------------------------------------------------------
// Field selectors (apimachinery pkg/fields/selector.go).

const SUPPORTED_FIELDS = new Set<FieldRequirement['field']>(['metadata.name', 'metadata.namespace']);

/** Split on commas not preceded by an escaping backslash. */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function unescapeValue(v: string): string {
  let out = '';
  let inSlash = false;
  for (const c of v) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=')
        throw new SelectorParseError(`invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=')
      throw new SelectorParseError(`invalid selector: unescaped ${c} in field value`);
    else out += c;
  }
  if (inSlash) throw new SelectorParseError('invalid escape sequence: \\');
  return out;
}

/**
 * Parse a field selector. Only `metadata.name` and `metadata.namespace` are supported on every kind
 * (as for CRDs); anything else fails like kube-apiserver: `field label not supported: <field>`.
 */
export function parseFieldSelector(s: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const part of splitTerms(s).sort()) {
    if (part.trim() === '') continue;
    let split: [string, '!=' | '==' | '=', string] | undefined;
    // First position where any operator starts; at one position `!=` and `==` win over `=`.
    for (let i = 0; i < part.length && !split; i++) {
      for (const op of ['!=', '==', '='] as const) {
        if (part.startsWith(op, i)) {
          split = [part.slice(0, i), op, part.slice(i + op.length)];
          break;
        }
      }
    }
    if (!split) throw new SelectorParseError(`invalid selector: '${s}'; can't understand '${part}'`);
    const [lhsRaw, op, rhs] = split;
    const field = lhsRaw.trim();
    const value = unescapeValue(rhs.trim());
    if (!SUPPORTED_FIELDS.has(field as FieldRequirement['field']))
      throw new SelectorParseError(`field label not supported: ${field}`);
    out.push({ field: field as FieldRequirement['field'], op: op === '!=' ? 'neq' : 'eq', value });
  }
  return out;
}

/** Whether an object's name/namespace satisfy every field requirement. Cluster-scoped: namespace ''. */
export function matchesFields(
  reqs: readonly FieldRequirement[],
  obj: { name: string; namespace?: string | undefined },
): boolean {
  for (const r of reqs) {
    const actual = r.field === 'metadata.name' ? obj.name : (obj.namespace ?? '');
    if ((actual === r.value) !== (r.op === 'eq')) return false;
  }
  return true;
}
