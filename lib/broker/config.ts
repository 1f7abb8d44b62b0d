/**
 * Read the eventing part of the Knative manifests (Brokers, Triggers, PingSources) from a kustomize
 * base, so the local broker routes events exactly as the cluster would.
 *
 * We follow `kustomization.yaml` `resources` (and `components`) recursively like kustomize does:
 * files are read as multi-document YAML, directories must carry their own kustomization. The
 * `namespace` field is applied the way kustomize's namespace transformer applies it (the outermost
 * kustomization wins over inner ones and over `metadata.namespace`). Kustomize features that could
 * change what we read (name prefixes/suffixes, patches aimed at eventing kinds, remote bases) are
 * rejected with an error instead of being silently ignored: a local run that routes differently from
 * the cluster is worse than one that refuses to start.
 *
 * Every error names the file and the 1-based document index in it, plus the resource, so that a
 * typo in a Trigger is a one-line fix.
 */
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { Cron } from 'croner';
import { parseAllDocuments } from 'yaml';
import { parseDurationMs } from '../config/env.js';
import { parseIsoDurationMs } from './duration.js';
import { FilterError, parseTriggerFilter, type TriggerFilter } from './filters.js';

export interface KReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Defaulted to the namespace of the resource that holds the reference. */
  readonly namespace: string;
}

/** A Knative duck-typed Destination: `ref` and/or `uri` (relative when combined with `ref`). */
export interface Destination {
  readonly ref?: KReference;
  readonly uri?: string;
}

export type BackoffPolicy = 'linear' | 'exponential';

/** duckv1.DeliverySpec with durations converted to milliseconds. */
export interface DeliverySpec {
  readonly deadLetterSink?: Destination;
  /** Minimum number of retries; total attempts = retry + 1. */
  readonly retry: number;
  readonly backoffPolicy: BackoffPolicy;
  /** Undefined when unset; the broker applies its default. */
  readonly backoffDelayMs?: number;
  readonly timeoutMs?: number;
  readonly retryAfterMaxMs?: number;
  /** Force the outgoing content mode: `json` = structured, `binary` = binary (default). */
  readonly format?: 'json' | 'binary';
}

/** Where a resource was read from, for error messages. */
export interface Origin {
  readonly file: string;
  /** 1-based index of the YAML document in the file. */
  readonly document: number;
}

export interface BrokerConfig {
  readonly name: string;
  readonly namespace: string;
  readonly delivery?: DeliverySpec;
  readonly origin: Origin;
}

export interface TriggerConfig {
  readonly name: string;
  readonly namespace: string;
  readonly broker: string;
  readonly filter: TriggerFilter;
  readonly subscriber: Destination;
  /** When set, fully replaces the Broker's delivery spec for this Trigger (Knative semantics). */
  readonly delivery?: DeliverySpec;
  readonly origin: Origin;
}

export interface PingSourceConfig {
  readonly name: string;
  readonly namespace: string;
  /** Cron expression without any `CRON_TZ=` prefix (moved into `timezone`). */
  readonly schedule: string;
  readonly timezone?: string;
  /** Event data bytes from `data` (UTF-8) or `dataBase64` (decoded); undefined when neither is set. */
  readonly data?: Buffer;
  readonly contentType?: string;
  readonly sink: Destination;
  /** `spec.ceOverrides.extensions`. */
  readonly extensions: Readonly<Record<string, string>>;
  readonly origin: Origin;
}

export interface EventingConfig {
  readonly brokers: readonly BrokerConfig[];
  readonly triggers: readonly TriggerConfig[];
  readonly pingSources: readonly PingSourceConfig[];
  /** Every manifest file read, in order. */
  readonly files: readonly string[];
}

export interface LoadOptions {
  /** Namespace for resources that have none (and no kustomization namespace). Default `default`. */
  readonly defaultNamespace?: string;
}

export class EventingConfigError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly document?: number,
    readonly resource?: string,
  ) {
    const where = [file, document !== undefined ? `document ${document}` : undefined, resource]
      .filter(Boolean)
      .join(', ');
    super(where ? `${where}: ${message}` : message);
    this.name = 'EventingConfigError';
  }
}

// kubectl/kustomize read YAML with Go's yaml.v3, which honours `<<` merge keys; so do we.
const YAML_OPTIONS = { prettyErrors: true, merge: true } as const;
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const EVENTING_KINDS = new Set(['Broker', 'Trigger', 'PingSource']);
const EXT_NAME = /^[a-z0-9]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Load Brokers, Triggers and PingSources from a kustomize directory (or a single manifest file). */
export function loadEventingConfig(dirOrFile: string, opts: LoadOptions = {}): EventingConfig {
  const defaultNamespace = opts.defaultNamespace ?? 'default';
  const brokers: BrokerConfig[] = [];
  const triggers: TriggerConfig[] = [];
  const pingSources: PingSourceConfig[] = [];
  const files: string[] = [];
  const seen = new Map<string, Origin>();
  const visiting = new Set<string>();

  const readDoc = (doc: Raw, origin: Origin, forcedNs: string | undefined): void => {
    const kind = doc.kind;
    const apiVersion = doc.apiVersion;
    if (typeof kind !== 'string' || !EVENTING_KINDS.has(kind)) return;
    if (kind === 'PingSource' && apiVersion !== 'sources.knative.dev/v1') {
      if (typeof apiVersion === 'string' && apiVersion.startsWith('sources.knative.dev/')) {
        throw new EventingConfigError(
          `PingSource apiVersion ${apiVersion} is not supported; use sources.knative.dev/v1`,
          origin.file,
          origin.document,
        );
      }
      return;
    }
    if ((kind === 'Broker' || kind === 'Trigger') && apiVersion !== 'eventing.knative.dev/v1') {
      if (typeof apiVersion === 'string' && apiVersion.startsWith('eventing.knative.dev/')) {
        throw new EventingConfigError(
          `${kind} apiVersion ${apiVersion} is not supported; use eventing.knative.dev/v1`,
          origin.file,
          origin.document,
        );
      }
      return; // some other group's "Broker" or "Trigger" kind
    }
    const meta = isRecord(doc.metadata) ? doc.metadata : {};
    const name = meta.name;
    if (typeof name !== 'string' || !DNS_LABEL.test(name)) {
      throw new EventingConfigError(
        `${kind} needs metadata.name, a DNS-1123 label (got ${JSON.stringify(name)})`,
        origin.file,
        origin.document,
      );
    }
    const metaNs = meta.namespace;
    if (metaNs !== undefined && (typeof metaNs !== 'string' || !DNS_LABEL.test(metaNs))) {
      throw new EventingConfigError(
        `metadata.namespace must be a DNS-1123 label`,
        origin.file,
        origin.document,
        `${kind} ${name}`,
      );
    }
    const namespace = forcedNs ?? (metaNs as string | undefined) ?? defaultNamespace;
    const id = `${kind} ${namespace}/${name}`;
    const prev = seen.get(id);
    if (prev) {
      throw new EventingConfigError(
        `duplicate ${id}, first defined in ${prev.file} document ${prev.document}`,
        origin.file,
        origin.document,
        id,
      );
    }
    seen.set(id, origin);
    const fail = (msg: string): never => {
      throw new EventingConfigError(msg, origin.file, origin.document, id);
    };
    const spec = doc.spec === undefined || doc.spec === null ? {} : doc.spec;
    if (!isRecord(spec)) fail('spec must be an object');
    const s = spec as Raw;
    try {
      if (kind === 'Broker') {
        brokers.push({
          name,
          namespace,
          ...optional('delivery', parseDelivery(s.delivery, 'spec.delivery', namespace)),
          origin,
        });
      } else if (kind === 'Trigger') {
        const broker = s.broker ?? 'default';
        if (typeof broker !== 'string' || !DNS_LABEL.test(broker))
          fail(`spec.broker must be a Broker name (got ${JSON.stringify(broker)})`);
        if (s.subscriber === undefined) fail('spec.subscriber is required');
        let filter: TriggerFilter;
        try {
          filter = parseTriggerFilter(s, 'spec');
        } catch (e) {
          if (e instanceof FilterError) fail(e.message);
          throw e;
        }
        triggers.push({
          name,
          namespace,
          broker: broker as string,
          filter: filter!,
          subscriber: parseDestination(s.subscriber, 'spec.subscriber', namespace),
          ...optional('delivery', parseDelivery(s.delivery, 'spec.delivery', namespace)),
          origin,
        });
      } else {
        pingSources.push(parsePingSource(s, name, namespace, origin));
      }
    } catch (e) {
      if (e instanceof SpecError) fail(e.message);
      throw e;
    }
  };

  const readFile = (file: string, forcedNs: string | undefined): void => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new EventingConfigError(`cannot read: ${(e as Error).message}`, file);
    }
    files.push(file);
    const docs = parseAllDocuments(text, YAML_OPTIONS);
    if (!Array.isArray(docs)) return; // an empty stream
    docs.forEach((d, i) => {
      const origin: Origin = { file, document: i + 1 };
      if (d.errors.length)
        throw new EventingConfigError(`invalid YAML: ${d.errors[0]!.message}`, file, i + 1);
      const js: unknown = d.toJS();
      if (js === null || js === undefined) return;
      if (!isRecord(js)) throw new EventingConfigError('a manifest document must be a mapping', file, i + 1);
      if (js.kind === 'List' && Array.isArray(js.items)) {
        for (const item of js.items) if (isRecord(item)) readDoc(item, origin, forcedNs);
        return;
      }
      readDoc(js, origin, forcedNs);
    });
  };

  const readKustomization = (dir: string, forcedNs: string | undefined): void => {
    const real = realpathSync(dir);
    if (visiting.has(real)) throw new EventingConfigError(`kustomization cycle through ${dir}`);
    visiting.add(real);
    const kfile = KUSTOMIZATION_FILES.map((f) => path.join(dir, f)).find((f) => isFile(f));
    if (!kfile) {
      // Not kustomize: read every manifest in the directory (sorted, for a stable order).
      for (const f of readdirSync(dir)
        .filter((f) => /\.(ya?ml|json)$/i.test(f))
        .sort())
        readFile(path.join(dir, f), forcedNs);
      visiting.delete(real);
      return;
    }
    files.push(kfile);
    const docs = parseAllDocuments(readFileSync(kfile, 'utf8'), YAML_OPTIONS);
    const first = Array.isArray(docs) ? docs[0] : docs;
    if (first?.errors.length)
      throw new EventingConfigError(`invalid YAML: ${first.errors[0]!.message}`, kfile, 1);
    const k: unknown = first?.toJS() ?? {};
    if (!isRecord(k)) throw new EventingConfigError('kustomization must be a mapping', kfile, 1);
    const kfail = (msg: string): never => {
      throw new EventingConfigError(msg, kfile, 1);
    };
    for (const f of ['namePrefix', 'nameSuffix']) {
      if (k[f])
        kfail(
          `${f} is not supported by the local broker: it renames Triggers, Brokers and the Services they refer to`,
        );
    }
    if (k.namespace !== undefined && (typeof k.namespace !== 'string' || !DNS_LABEL.test(k.namespace)))
      kfail('namespace must be a DNS-1123 label');
    const ns = forcedNs ?? (k.namespace as string | undefined);
    checkPatches(k, dir, kfail);
    for (const field of ['resources', 'components', 'bases'] as const) {
      const list = k[field];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) kfail(`${field} must be a list`);
      for (const entry of list as unknown[]) {
        if (typeof entry !== 'string' || entry === '') kfail(`${field} entries must be paths`);
        const e = entry as string;
        if (
          /^[a-z][a-z0-9+.-]*:\/\//i.test(e) ||
          /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(e) ||
          e.startsWith('git@')
        ) {
          kfail(
            `remote ${field} entry ${e} is not supported by the local broker; vendor it into the repository`,
          );
        }
        const p = path.resolve(dir, e);
        let st;
        try {
          st = statSync(p);
        } catch {
          kfail(`${field} entry ${e} does not exist (${p})`);
        }
        if (st!.isDirectory()) {
          if (!KUSTOMIZATION_FILES.some((f) => isFile(path.join(p, f))))
            kfail(`${field} entry ${e} is a directory without a kustomization.yaml`);
          readKustomization(p, ns);
        } else readFile(p, ns);
      }
    }
    visiting.delete(real);
  };

  const st = statSync(dirOrFile);
  if (st.isDirectory()) readKustomization(dirOrFile, undefined);
  else readFile(dirOrFile, undefined);

  // Cross-resource checks that need the whole set.
  for (const t of triggers) {
    if (!brokers.some((b) => b.name === t.broker && b.namespace === t.namespace)) {
      throw new EventingConfigError(
        `Trigger refers to Broker ${t.namespace}/${t.broker}, which is not defined in the manifests`,
        t.origin.file,
        t.origin.document,
        `Trigger ${t.namespace}/${t.name}`,
      );
    }
  }
  return { brokers, triggers, pingSources, files };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Patches that touch eventing kinds would make us read something different from what is applied. */
function checkPatches(k: Raw, dir: string, kfail: (m: string) => never): void {
  const kindsIn = (text: string): string[] => {
    const out: string[] = [];
    const docs = parseAllDocuments(text, YAML_OPTIONS);
    for (const d of Array.isArray(docs) ? docs : [docs]) {
      const js: unknown = d.toJS();
      if (isRecord(js) && typeof js.kind === 'string') out.push(js.kind);
    }
    return out;
  };
  const check = (target: unknown, patchPath: unknown, inline: unknown, field: string): void => {
    const kinds: string[] = [];
    if (isRecord(target) && typeof target.kind === 'string') kinds.push(target.kind);
    if (typeof patchPath === 'string') {
      try {
        kinds.push(...kindsIn(readFileSync(path.resolve(dir, patchPath), 'utf8')));
      } catch {
        kfail(`${field}: cannot read patch ${patchPath}`);
      }
    }
    if (typeof inline === 'string') kinds.push(...kindsIn(inline));
    if (!isRecord(target) && patchPath === undefined && inline === undefined) return;
    const hit =
      kinds.find((kk) => EVENTING_KINDS.has(kk)) ??
      (isRecord(target) && target.kind === undefined ? '(any kind)' : undefined);
    if (hit)
      kfail(
        `${field} patches ${hit}; the local broker does not apply kustomize patches to eventing resources, edit the resource instead`,
      );
  };
  for (const p of asList(k.patches)) if (isRecord(p)) check(p.target, p.path, p.patch, 'patches');
  for (const p of asList(k.patchesJson6902))
    if (isRecord(p)) check(p.target, p.path, p.patch, 'patchesJson6902');
  for (const p of asList(k.patchesStrategicMerge)) {
    if (typeof p === 'string') {
      if (/\n/.test(p) || /^\s*(apiVersion|kind):/m.test(p))
        check(undefined, undefined, p, 'patchesStrategicMerge');
      else check(undefined, p, undefined, 'patchesStrategicMerge');
    }
  }
}

function asList(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

class SpecError extends Error {}

/**
 * `@every <duration>` (robfig/cron, which Knative's PingSource uses): milliseconds, `undefined`
 * when the schedule is not an @every, `null` when it is one with a bad duration.
 */
export function parseEvery(schedule: string): number | null | undefined {
  const m = /^@every\s+(\S+)$/.exec(schedule.trim());
  if (!m) return undefined;
  const ms = parseDurationMs(m[1]!);
  return ms !== undefined && ms > 0 && !/^\d+$/.test(m[1]!) ? ms : null;
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

export function parseDestination(raw: unknown, at: string, namespace: string): Destination {
  if (!isRecord(raw)) throw new SpecError(`${at} must be an object with ref and/or uri`);
  let ref: KReference | undefined;
  if (raw.ref !== undefined && raw.ref !== null) {
    const r = raw.ref;
    if (!isRecord(r)) throw new SpecError(`${at}.ref must be an object`);
    for (const f of ['apiVersion', 'kind', 'name'] as const) {
      if (typeof r[f] !== 'string' || r[f] === '') throw new SpecError(`${at}.ref.${f} is required`);
    }
    if (r.namespace !== undefined && typeof r.namespace !== 'string')
      throw new SpecError(`${at}.ref.namespace must be a string`);
    ref = {
      apiVersion: r.apiVersion as string,
      kind: r.kind as string,
      name: r.name as string,
      namespace: (r.namespace as string | undefined) || namespace,
    };
  }
  let uri: string | undefined;
  if (raw.uri !== undefined && raw.uri !== null) {
    if (typeof raw.uri !== 'string' || raw.uri === '')
      throw new SpecError(`${at}.uri must be a non-empty string`);
    uri = raw.uri;
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(uri);
    if (ref && absolute)
      throw new SpecError(`${at}.uri must be a relative path when ref is set (got ${uri})`);
    if (!ref) {
      if (!absolute)
        throw new SpecError(`${at}.uri must be an absolute URL when there is no ref (got ${uri})`);
      try {
        new URL(uri);
      } catch {
        throw new SpecError(`${at}.uri is not a valid URL: ${uri}`);
      }
    }
  }
  if (!ref && !uri) throw new SpecError(`${at} needs ref or uri`);
  return { ...optional('ref', ref), ...optional('uri', uri) };
}

export function parseDelivery(raw: unknown, at: string, namespace: string): DeliverySpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isRecord(raw)) throw new SpecError(`${at} must be an object`);
  const known = [
    'deadLetterSink',
    'retry',
    'backoffPolicy',
    'backoffDelay',
    'timeout',
    'retryAfterMax',
    'format',
  ];
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length)
    throw new SpecError(`${at} has unknown field(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const retry = raw.retry ?? 0;
  if (typeof retry !== 'number' || !Number.isInteger(retry) || retry < 0 || retry > 2 ** 31 - 1) {
    throw new SpecError(`${at}.retry must be an integer >= 0 (got ${JSON.stringify(raw.retry)})`);
  }
  const policy = raw.backoffPolicy ?? 'exponential';
  if (policy !== 'linear' && policy !== 'exponential') {
    throw new SpecError(`${at}.backoffPolicy must be linear or exponential (got ${JSON.stringify(policy)})`);
  }
  const dur = (field: string, positive: boolean): number | undefined => {
    const v = raw[field];
    if (v === undefined || v === null) return undefined;
    let ms: number;
    try {
      ms = parseIsoDurationMs(v as string);
    } catch (e) {
      throw new SpecError(`${at}.${field}: ${(e as Error).message}`);
    }
    if (positive && ms <= 0) throw new SpecError(`${at}.${field} must be greater than zero`);
    return ms;
  };
  const format = raw.format;
  if (format !== undefined && format !== null && format !== 'json' && format !== 'binary') {
    throw new SpecError(`${at}.format must be json or binary (got ${JSON.stringify(format)})`);
  }
  const dls =
    raw.deadLetterSink === undefined || raw.deadLetterSink === null
      ? undefined
      : parseDestination(raw.deadLetterSink, `${at}.deadLetterSink`, namespace);
  return {
    retry,
    backoffPolicy: policy,
    ...optional('deadLetterSink', dls),
    ...optional('backoffDelayMs', dur('backoffDelay', false)),
    ...optional('timeoutMs', dur('timeout', true)),
    ...optional('retryAfterMaxMs', dur('retryAfterMax', false)),
    ...optional('format', (format ?? undefined) as 'json' | 'binary' | undefined),
  };
}

function parsePingSource(s: Raw, name: string, namespace: string, origin: Origin): PingSourceConfig {
  const rawSchedule: unknown = s.schedule ?? '* * * * *';
  if (typeof rawSchedule !== 'string' || rawSchedule.trim() === '')
    throw new SpecError('spec.schedule must be a cron expression');
  let schedule: string = rawSchedule;
  let timezone = s.timezone as string | undefined;
  if (timezone !== undefined && typeof timezone !== 'string')
    throw new SpecError('spec.timezone must be a tz database name');
  // Knative (robfig/cron) also accepts a `CRON_TZ=<zone> ` prefix in the schedule.
  const tzPrefix = /^\s*(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(schedule);
  if (tzPrefix) {
    if (timezone && timezone !== tzPrefix[1])
      throw new SpecError(`spec.schedule sets CRON_TZ=${tzPrefix[1]} but spec.timezone is ${timezone}`);
    timezone = tzPrefix[1]!;
    schedule = tzPrefix[2]!;
  }
  schedule = schedule.trim();
  if (timezone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      throw new SpecError(
        `spec.timezone ${JSON.stringify(timezone)} is not a tz database name such as Europe/Paris`,
      );
    }
  }
  const every = parseEvery(schedule);
  if (every === null)
    throw new SpecError(
      `spec.schedule ${JSON.stringify(schedule)}: @every needs a positive Go duration such as 30s, 5m or 1h30m`,
    );
  if (every === undefined)
    try {
      new Cron(schedule, { paused: true, ...(timezone ? { timezone } : {}) }).stop();
    } catch (e) {
      throw new SpecError(
        `spec.schedule ${JSON.stringify(schedule)} is not a valid cron expression: ${(e as Error).message}`,
      );
    }
  if (s.data !== undefined && s.dataBase64 !== undefined)
    throw new SpecError('spec.data and spec.dataBase64 are mutually exclusive');
  let data: Buffer | undefined;
  if (s.data !== undefined && s.data !== null) {
    if (typeof s.data !== 'string')
      throw new SpecError('spec.data must be a string (quote JSON payloads in YAML)');
    data = Buffer.from(s.data, 'utf8');
  } else if (s.dataBase64 !== undefined && s.dataBase64 !== null) {
    if (
      typeof s.dataBase64 !== 'string' ||
      !/^[A-Za-z0-9+/]*={0,2}$/.test(s.dataBase64.replace(/\s/g, '')) ||
      s.dataBase64.replace(/\s/g, '').length % 4 !== 0
    ) {
      throw new SpecError('spec.dataBase64 must be standard base64');
    }
    data = Buffer.from(s.dataBase64, 'base64');
  }
  if (
    s.contentType !== undefined &&
    (typeof s.contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+/.test(s.contentType))
  ) {
    throw new SpecError('spec.contentType must be a media type such as application/json');
  }
  if (s.sink === undefined) throw new SpecError('spec.sink is required');
  const sink = parseDestination(s.sink, 'spec.sink', namespace);
  const extensions: Record<string, string> = {};
  if (s.ceOverrides !== undefined && s.ceOverrides !== null) {
    if (!isRecord(s.ceOverrides)) throw new SpecError('spec.ceOverrides must be an object');
    const ext = s.ceOverrides.extensions;
    if (ext !== undefined && ext !== null) {
      if (!isRecord(ext)) throw new SpecError('spec.ceOverrides.extensions must be a map');
      for (const [k, v] of Object.entries(ext)) {
        if (!EXT_NAME.test(k))
          throw new SpecError(
            `spec.ceOverrides.extensions: ${JSON.stringify(k)} is not a valid CloudEvents attribute name (lowercase a-z0-9)`,
          );
        if (
          [
            'specversion',
            'id',
            'source',
            'type',
            'time',
            'datacontenttype',
            'dataschema',
            'subject',
            'data',
          ].includes(k)
        ) {
          throw new SpecError(`spec.ceOverrides.extensions cannot override the context attribute ${k}`);
        }
        if (typeof v !== 'string') throw new SpecError(`spec.ceOverrides.extensions.${k} must be a string`);
        extensions[k] = v;
      }
    }
  }
  return {
    name,
    namespace,
    schedule,
    ...optional('timezone', timezone),
    ...optional('data', data),
    ...optional('contentType', s.contentType as string | undefined),
    sink,
    extensions,
    origin,
  };
}
