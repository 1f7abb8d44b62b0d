/**
 * Declarative, typed environment configuration.
 *
 * Each component declares its variables once (name, parser, default, doc); `loadConfig` parses them
 * all and reports every bad value at once, naming the variable and what it allows, so start-up fails
 * with one actionable message instead of a stack trace. `describeConfig` renders the same
 * declarations as documentation, so the README and `--help` cannot drift from the code.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export interface VarSpec<T> {
  /** Human description of what is allowed, used in errors and docs (e.g. "an integer 1..65535"). */
  readonly allowed: string;
  readonly doc: string;
  /** Default when unset or empty; `undefined` with `required: true` makes the variable mandatory. */
  readonly default: T;
  readonly required?: boolean;
  /** Hide the value in docs and logs (secrets). */
  readonly secret?: boolean;
  /** How docs show the default (durations as `5m`, sizes as `1Mi`). */
  show?(value: T): string;
  parse(raw: string): T | ParseFailure;
}

export interface ParseFailure {
  readonly failure: true;
  readonly reason?: string;
}
const fail = (reason?: string): ParseFailure => ({ failure: true, ...(reason ? { reason } : {}) });
const isFailure = (v: unknown): v is ParseFailure =>
  typeof v === 'object' && v !== null && (v as { failure?: unknown }).failure === true;

export class ConfigError extends Error {
  readonly problems: readonly { variable: string; value: string; allowed: string; reason?: string }[];
  constructor(problems: ConfigError['problems']) {
    super(
      'invalid configuration:\n' +
        problems
          .map(
            (p) =>
              `  ${p.variable}=${JSON.stringify(p.value)}: expected ${p.allowed}${p.reason ? ` (${p.reason})` : ''}`,
          )
          .join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Opts<T> = { doc: string; default: T; required?: boolean; secret?: boolean };

export function str(opts: Opts<string> & { pattern?: RegExp; allowed?: string }): VarSpec<string> {
  return {
    ...opts,
    allowed: opts.allowed ?? (opts.pattern ? `a string matching ${opts.pattern}` : 'a string'),
    parse: (raw) => (opts.pattern && !opts.pattern.test(raw) ? fail() : raw),
  };
}

export function optionalStr(opts: { doc: string; secret?: boolean }): VarSpec<string | undefined> {
  return { ...opts, default: undefined, allowed: 'a string', parse: (raw) => raw };
}

export function int(opts: Opts<number> & { min?: number; max?: number }): VarSpec<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const range =
    opts.min !== undefined && opts.max !== undefined
      ? ` ${min}..${max}`
      : opts.min !== undefined
        ? ` >= ${min}`
        : opts.max !== undefined
          ? ` <= ${max}`
          : '';
  return {
    ...opts,
    allowed: `an integer${range}`,
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return fail();
      const n = Number(raw.trim());
      return Number.isSafeInteger(n) && n >= min && n <= max ? n : fail('out of range');
    },
  };
}

export function num(opts: Opts<number> & { min?: number; max?: number }): VarSpec<number> {
  return {
    ...opts,
    allowed: `a number${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`,
    parse: (raw) => {
      const n = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(n)) return fail();
      if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max))
        return fail('out of range');
      return n;
    },
  };
}

export function bool(opts: Opts<boolean>): VarSpec<boolean> {
  return {
    ...opts,
    allowed: 'true or false (also 1/0, yes/no)',
    parse: (raw) => {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      return fail();
    },
  };
}

export function oneOf<const T extends string>(values: readonly T[], opts: Opts<T>): VarSpec<T> {
  return {
    ...opts,
    allowed: `one of ${values.join(', ')}`,
    parse: (raw) => ((values as readonly string[]).includes(raw.trim()) ? (raw.trim() as T) : fail()),
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Durations as Go/Kubernetes write them: `500ms`, `30s`, `5m`, `1h30m`; a bare number means milliseconds. */
export function parseDurationMs(raw: string): number | undefined {
  const s = raw.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2] as string]!;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? Math.round(total) : undefined;
}

export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

export function duration(opts: Opts<number> & { minMs?: number; maxMs?: number }): VarSpec<number> {
  return {
    ...opts,
    allowed: 'a duration such as 500ms, 30s, 5m, 1h30m (bare numbers are milliseconds)',
    show: formatDurationMs,
    parse: (raw) => {
      const ms = parseDurationMs(raw);
      if (ms === undefined) return fail();
      if ((opts.minMs !== undefined && ms < opts.minMs) || (opts.maxMs !== undefined && ms > opts.maxMs))
        return fail('out of range');
      return ms;
    },
  };
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Byte sizes: `1048576`, `512Ki`, `10Mi`, `1G`. */
export function parseBytes(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(raw);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}

export function bytes(opts: Opts<number>): VarSpec<number> {
  return {
    ...opts,
    allowed: 'a size in bytes such as 1048576, 512Ki, 10Mi, 1Gi',
    show: formatBytes,
    parse: (raw) => parseBytes(raw) ?? fail(),
  };
}

export function url(opts: Opts<string> & { protocols?: readonly string[] }): VarSpec<string> {
  const protocols = opts.protocols ?? ['http:', 'https:'];
  return {
    ...opts,
    allowed: `a URL (${protocols.join(' or ')})`,
    parse: (raw) => {
      try {
        const u = new URL(raw.trim());
        return protocols.includes(u.protocol) ? raw.trim() : fail(`protocol ${u.protocol} not allowed`);
      } catch {
        return fail();
      }
    },
  };
}

export function optionalUrl(opts: { doc: string; protocols?: readonly string[]; secret?: boolean }): VarSpec<string | undefined> {
  const inner = url({ ...opts, default: '' });
  return { ...opts, default: undefined, allowed: inner.allowed, parse: (raw) => inner.parse(raw) };
}

/** Comma-separated list; empty entries are dropped. */
export function list(opts: Opts<readonly string[]> & { item?: RegExp }): VarSpec<readonly string[]> {
  return {
    ...opts,
    allowed: `a comma-separated list${opts.item ? ` of values matching ${opts.item}` : ''}`,
    parse: (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (opts.item && items.some((i) => !opts.item!.test(i))) return fail();
      return items;
    },
  };
}

export type ConfigSpec = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

export function loadConfig<S extends ConfigSpec>(spec: S, env: Env = process.env): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  const problems: { variable: string; value: string; allowed: string; reason?: string }[] = [];
  for (const [name, v] of Object.entries(spec)) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (v.required) problems.push({ variable: name, value: '', allowed: v.allowed, reason: 'required' });
      out[name] = v.default;
      continue;
    }
    const parsed = v.parse(raw);
    if (isFailure(parsed)) {
      problems.push({
        variable: name,
        value: v.secret ? '<redacted>' : raw,
        allowed: v.allowed,
        ...(parsed.reason ? { reason: parsed.reason } : {}),
      });
    } else out[name] = parsed;
  }
  if (problems.length) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** Markdown table of a spec, for READMEs and `kscape config`. */
export function describeConfig(spec: ConfigSpec): string {
  const rows = Object.entries(spec).map(([name, v]) => {
    const def =
      v.default === undefined
        ? v.required
          ? '(required)'
          : '(unset)'
        : v.secret
          ? '(secret)'
          : Array.isArray(v.default)
            ? v.default.length
              ? `\`${(v.default as string[]).join(',')}\``
              : '(empty)'
            : v.show
              ? `\`${v.show(v.default)}\``
              : v.default === ''
                ? '(empty)'
                : `\`${String(v.default)}\``;
    return `| \`${name}\` | ${def} | ${v.doc} Allowed: ${v.allowed}. |`;
  });
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
