/**
 * Command-line flag checks shared by the kubelet and control-plane controls. A check sees an argv
 * (a static pod's `spec.containers[0].command`, or the command line node-agent reported) and a path
 * builder for its elements, and returns findings in Kubescape's style for command-line rules:
 * a wrong flag is a failed path on its argv element with a fix path replacing it; a missing flag is a
 * fix path appending it at index `argv.length`.
 */
import type { Finding } from '../engine/types.js';
import { fix, remove } from './_lib.js';

export interface Args {
  readonly argv: readonly string[];
  path(i: number): string;
}

export type FlagCheck = (args: Args) => Finding[];

export interface FlagHit {
  index: number;
  value: string;
}

/** Last occurrence of `--name` (`--name=value` or `--name value`; a bare flag is "true"). */
export function findFlag(argv: readonly string[], name: string): FlagHit | undefined {
  const bare = `--${name}`;
  const prefix = `${bare}=`;
  let hit: FlagHit | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith(prefix)) hit = { index: i, value: a.slice(prefix.length) };
    else if (a === bare) {
      const next = argv[i + 1];
      hit =
        next !== undefined && !next.startsWith('-') ? { index: i, value: next } : { index: i, value: 'true' };
    }
  }
  return hit;
}

const replace = (args: Args, hit: FlagHit, value: string): Finding => ({
  failedPaths: [args.path(hit.index)],
  fixPaths: [{ path: args.path(hit.index), value }],
});

const append = (args: Args, value: string): Finding => fix(args.path(args.argv.length), value);

const list = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `--name` must be `want`; absent is fine only when the default is `want`. */
export function flagEquals(name: string, want: string, opts: { defaultOk?: boolean } = {}): FlagCheck {
  return (args) => {
    const hit = findFlag(args.argv, name);
    if (!hit) return opts.defaultOk ? [] : [append(args, `--${name}=${want}`)];
    return hit.value.toLowerCase() === want.toLowerCase() ? [] : [replace(args, hit, `--${name}=${want}`)];
  };
}

/** `--name` must not be `bad` (absent is fine unless the default is bad). */
export function flagNot(
  name: string,
  bad: (value: string) => boolean,
  fixValue: string,
  opts: { defaultBad?: boolean } = {},
): FlagCheck {
  return (args) => {
    const hit = findFlag(args.argv, name);
    if (!hit) return opts.defaultBad ? [append(args, `--${name}=${fixValue}`)] : [];
    return bad(hit.value) ? [replace(args, hit, `--${name}=${fixValue}`)] : [];
  };
}

/** Every one of the flags must be present (one fix path per missing flag). */
export function flagsSet(...names: string[]): FlagCheck {
  return (args) => {
    const out: Finding[] = [];
    let next = args.argv.length;
    for (const name of names) {
      if (!findFlag(args.argv, name)) out.push(fix(args.path(next++), `--${name}=YOUR_VALUE`));
    }
    return out;
  };
}

/** `--name` must not be given at all. */
export function flagUnset(name: string): FlagCheck {
  return (args) => {
    const hit = findFlag(args.argv, name);
    return hit ? [remove(args.path(hit.index))] : [];
  };
}

/** A comma-separated list flag must contain `item` (absent: `defaults` apply). */
export function listIncludes(name: string, item: string, defaults: readonly string[] = []): FlagCheck {
  return (args) => {
    const hit = findFlag(args.argv, name);
    if (!hit) return defaults.includes(item) ? [] : [append(args, `--${name}=${item}`)];
    const items = list(hit.value);
    return items.includes(item) ? [] : [replace(args, hit, `--${name}=${[...items, item].join(',')}`)];
  };
}

/**
 * A comma-separated list flag must not contain `item` (absent: `defaults` apply, and `fixValue`
 * is what to set when the default is the problem).
 */
export function listExcludes(
  name: string,
  item: string,
  defaults: readonly string[] = [],
  fixValue = 'YOUR_VALUE',
): FlagCheck {
  return (args) => {
    const hit = findFlag(args.argv, name);
    if (!hit) return defaults.includes(item) ? [append(args, `--${name}=${fixValue}`)] : [];
    const items = list(hit.value);
    if (!items.includes(item)) return [];
    const rest = items.filter((i) => i !== item);
    return rest.length > 0
      ? [replace(args, hit, `--${name}=${rest.join(',')}`)]
      : [remove(args.path(hit.index))];
  };
}

/** A numeric flag must be at least `min`. */
export function flagAtLeast(name: string, min: number): FlagCheck {
  return (args) => {
    const hit = findFlag(args.argv, name);
    if (!hit) return [append(args, `--${name}=${min}`)];
    const n = Number(hit.value);
    return Number.isFinite(n) && n >= min ? [] : [replace(args, hit, `--${name}=${min}`)];
  };
}

/** `--feature-gates` must not turn `gate` off. */
export function featureGateNotFalse(gate: string): FlagCheck {
  return (args) => {
    const hit = findFlag(args.argv, 'feature-gates');
    if (!hit) return [];
    const gates = list(hit.value);
    const off = gates.some((g) => g.replace(/\s/g, '').toLowerCase() === `${gate.toLowerCase()}=false`);
    if (!off) return [];
    const rest = gates.filter((g) => !g.toLowerCase().startsWith(`${gate.toLowerCase()}=`));
    return [replace(args, hit, `--feature-gates=${[...rest, `${gate}=true`].join(',')}`)];
  };
}

/** The CIS list of strong TLS cipher suites (TLS 1.2 AEAD suites and the TLS 1.3 ones). */
export const STRONG_CIPHERS: readonly string[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_RSA_WITH_AES_256_GCM_SHA384',
];

export const STRONG_CIPHERS_VALUE = STRONG_CIPHERS.join(',');

/** True when every listed suite is a strong one (an empty list is not). */
export function onlyStrongCiphers(value: string): boolean {
  const items = list(value);
  return items.length > 0 && items.every((c) => STRONG_CIPHERS.includes(c));
}

/** `--tls-cipher-suites` must be set and list strong suites only. */
export const strongCiphers: FlagCheck = (args) => {
  const hit = findFlag(args.argv, 'tls-cipher-suites');
  if (!hit) return [append(args, `--tls-cipher-suites=${STRONG_CIPHERS_VALUE}`)];
  return onlyStrongCiphers(hit.value)
    ? []
    : [replace(args, hit, `--tls-cipher-suites=${STRONG_CIPHERS_VALUE}`)];
};

/** Run several checks on the same argv. */
export function allOf(...checks: FlagCheck[]): FlagCheck {
  return (args) => checks.flatMap((c) => c(args));
}
