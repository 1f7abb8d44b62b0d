/**
 * Trigger filters, as Knative Eventing evaluates them.
 *
 * Two syntaxes exist on a Trigger:
 *  - legacy `spec.filter.attributes`: a map attribute → value, all must match exactly; the value
 *    `""` means "any value". Standard context attributes always count as present (Knative builds
 *    its lookup map with every standard attribute, empty when unset), extensions must be present.
 *  - `spec.filters`: the CloudEvents Subscriptions API dialects (exact, prefix, suffix, all, any,
 *    not, cesql); every entry must match. When both are set and `filters` is non-empty it wins.
 *
 * CESQL is rejected at load time rather than half-implemented: a filter that silently matched a
 * different set of events than in the cluster would defeat the purpose of the local broker.
 */

/** CloudEvent context attributes as strings (CloudEvents canonical string form). */
export type Attributes = Readonly<Record<string, string>>;

export type Filter =
  | { readonly dialect: 'exact' | 'prefix' | 'suffix'; readonly attribute: string; readonly value: string }
  | { readonly dialect: 'all' | 'any'; readonly filters: readonly Filter[] }
  | { readonly dialect: 'not'; readonly filter: Filter };

/** What a Trigger matches on, after choosing between `filters` and the legacy `filter`. */
export type TriggerFilter =
  | { readonly kind: 'all-events' }
  | { readonly kind: 'attributes'; readonly attributes: Attributes }
  | { readonly kind: 'filters'; readonly filters: readonly Filter[] };

export class FilterError extends Error {
  constructor(
    message: string,
    /** JSON-path-like location inside the Trigger spec, e.g. `spec.filters[0].any[1]`. */
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'FilterError';
  }
}

/** Standard CloudEvents 1.0 context attributes (Knative treats these as always present). */
export const STANDARD_ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'subject',
  'time',
  'datacontenttype',
  'dataschema',
] as const;

// Knative validates new-dialect attribute names as "start with a letter, lowercase alphanumeric"
// and legacy attribute names as lowercase alphanumeric.
const DIALECT_ATTR = /^[a-z][a-z0-9]*$/;
const LEGACY_ATTR = /^[a-z0-9]+$/;
const DIALECTS = ['exact', 'prefix', 'suffix', 'all', 'any', 'not', 'cesql'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse one Subscriptions API filter expression; `path` names it in errors. */
export function parseFilter(raw: unknown, path: string): Filter {
  if (!isRecord(raw)) throw new FilterError('a filter must be an object with one dialect key', path);
  const keys = Object.keys(raw).filter((k) => raw[k] !== undefined && raw[k] !== null);
  const unknown = keys.filter((k) => !(DIALECTS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new FilterError(
      `unknown filter dialect ${unknown.map((k) => JSON.stringify(k)).join(', ')}; supported: exact, prefix, suffix, all, any, not`,
      path,
    );
  }
  if (keys.length !== 1) {
    throw new FilterError(
      keys.length === 0
        ? 'empty filter: set one of exact, prefix, suffix, all, any, not'
        : `multiple dialects (${keys.join(', ')}) in one filter; use all/any to combine`,
      path,
    );
  }
  const dialect = keys[0] as (typeof DIALECTS)[number];
  const value = raw[dialect];
  const here = `${path}.${dialect}`;
  switch (dialect) {
    case 'exact':
    case 'prefix':
    case 'suffix': {
      if (!isRecord(value)) throw new FilterError('must be a map with exactly one attribute', here);
      const entries = Object.entries(value);
      if (entries.length !== 1)
        throw new FilterError(`must have exactly one attribute, found ${entries.length}`, here);
      const [attribute, v] = entries[0]!;
      if (!DIALECT_ATTR.test(attribute)) {
        throw new FilterError(
          `attribute name ${JSON.stringify(attribute)} must start with a letter and be lowercase alphanumeric`,
          here,
        );
      }
      if (typeof v !== 'string' || v === '')
        throw new FilterError(`value of ${attribute} must be a non-empty string`, here);
      return { dialect, attribute, value: v };
    }
    case 'all':
    case 'any': {
      if (!Array.isArray(value) || value.length === 0)
        throw new FilterError('must be a non-empty list of filters', here);
      return { dialect, filters: value.map((f, i) => parseFilter(f, `${here}[${i}]`)) };
    }
    case 'not':
      return { dialect, filter: parseFilter(value, here) };
    case 'cesql':
      throw new FilterError(
        'the cesql dialect is not supported by the local broker; express the filter with exact/prefix/suffix/all/any/not',
        here,
      );
  }
}

/**
 * Choose and parse a Trigger's filter from its spec, as Knative does: non-empty `filters` wins
 * over `filter`; neither means every event matches.
 */
export function parseTriggerFilter(
  spec: { filter?: unknown; filters?: unknown },
  path = 'spec',
): TriggerFilter {
  if (spec.filters !== undefined && spec.filters !== null) {
    if (!Array.isArray(spec.filters)) throw new FilterError('must be a list of filters', `${path}.filters`);
    if (spec.filters.length > 0) {
      return {
        kind: 'filters',
        filters: spec.filters.map((f, i) => parseFilter(f, `${path}.filters[${i}]`)),
      };
    }
  }
  if (spec.filter !== undefined && spec.filter !== null) {
    if (!isRecord(spec.filter))
      throw new FilterError('must be an object with `attributes`', `${path}.filter`);
    const extra = Object.keys(spec.filter).filter((k) => k !== 'attributes');
    if (extra.length)
      throw new FilterError(
        `unknown field(s) ${extra.join(', ')}; only attributes is supported`,
        `${path}.filter`,
      );
    const attrs = spec.filter.attributes;
    if (attrs === undefined || attrs === null) return { kind: 'all-events' };
    if (!isRecord(attrs))
      throw new FilterError('must be a map of attribute to value', `${path}.filter.attributes`);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(attrs)) {
      if (!LEGACY_ATTR.test(k))
        throw new FilterError(
          `attribute name ${JSON.stringify(k)} must be lowercase alphanumeric`,
          `${path}.filter.attributes`,
        );
      if (typeof v !== 'string')
        throw new FilterError(
          `value of ${k} must be a string ("" matches any value)`,
          `${path}.filter.attributes`,
        );
      out[k] = v;
    }
    return Object.keys(out).length ? { kind: 'attributes', attributes: out } : { kind: 'all-events' };
  }
  return { kind: 'all-events' };
}

export function matchFilter(filter: Filter, attrs: Attributes): boolean {
  switch (filter.dialect) {
    case 'exact':
      return has(attrs, filter.attribute) && attrs[filter.attribute] === filter.value;
    case 'prefix':
      return has(attrs, filter.attribute) && attrs[filter.attribute]!.startsWith(filter.value);
    case 'suffix':
      return has(attrs, filter.attribute) && attrs[filter.attribute]!.endsWith(filter.value);
    case 'all':
      return filter.filters.every((f) => matchFilter(f, attrs));
    case 'any':
      return filter.filters.some((f) => matchFilter(f, attrs));
    case 'not':
      return !matchFilter(filter.filter, attrs);
  }
}

export function matchTriggerFilter(filter: TriggerFilter, attrs: Attributes): boolean {
  switch (filter.kind) {
    case 'all-events':
      return true;
    case 'filters':
      return filter.filters.every((f) => matchFilter(f, attrs));
    case 'attributes':
      for (const [k, want] of Object.entries(filter.attributes)) {
        const present = has(attrs, k) || (STANDARD_ATTRIBUTES as readonly string[]).includes(k);
        if (!present) return false;
        if (want !== '' && (attrs[k] ?? '') !== want) return false;
      }
      return true;
  }
}

function has(attrs: Attributes, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(attrs, k);
}

/** Human-readable form of a trigger filter for logs and error messages. */
export function describeTriggerFilter(filter: TriggerFilter): string {
  const one = (f: Filter): string => {
    switch (f.dialect) {
      case 'exact':
        return `${f.attribute}=${JSON.stringify(f.value)}`;
      case 'prefix':
        return `${f.attribute}^=${JSON.stringify(f.value)}`;
      case 'suffix':
        return `${f.attribute}$=${JSON.stringify(f.value)}`;
      case 'all':
        return `(${f.filters.map(one).join(' AND ')})`;
      case 'any':
        return `(${f.filters.map(one).join(' OR ')})`;
      case 'not':
        return `NOT ${one(f.filter)}`;
    }
  };
  switch (filter.kind) {
    case 'all-events':
      return '*';
    case 'filters':
      return filter.filters.map(one).join(' AND ');
    case 'attributes':
      return Object.entries(filter.attributes)
        .map(([k, v]) => (v === '' ? `${k}=*` : `${k}=${JSON.stringify(v)}`))
        .join(' AND ');
  }
}
