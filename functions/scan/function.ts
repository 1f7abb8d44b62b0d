/**
 * scan: the posture-scan CloudEvents function (DESIGN.md §6).
 *
 * `io.kubescape.configscan.requested` → read the cluster (only the kinds the selected controls
 * need, paged, a few kinds at a time), run the posture engine, write one
 * WorkloadConfigurationScan(+Summary) per resource (whole-object replacement), delete the results of
 * resources that are gone (full scans only), and reply `io.kubescape.configscan.completed`.
 * Scoped requests (`scope.objects`) read the RBAC graph and, for the rest, only the namespaces the
 * requested objects reach; evaluate and rewrite only the results that depend on the requested
 * objects (cluster/scope.ts); and delete the results of requested objects that no longer exist.
 * Their reply's framework scores cover the re-evaluated resources only.
 *
 * `io.kubescape.host.reported` → host/service.ts: keep the node's latest facts, evaluate its host and
 * control-plane controls and write the Node's results. Posture scans add the stored facts of the
 * Nodes they read, so host controls are evaluated for nodes that reported (skipped otherwise).
 *
 * Idempotent: the result objects depend only on the cluster, the request and the configuration
 * (the scan-id annotation is the request's scanId, or the event id when it has none); unchanged
 * objects are not rewritten; the reply's id is derived from the scan id.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { API_VERSION, KINDS, LABELS, labelValue, workloadScanName } from '../../lib/api/index.js';
import {
  buildEvent,
  EVENT_TYPES,
  FUNCTION_ROUTES,
  type CatalogEvent,
  type EventData,
  type ObjectRef,
} from '../../lib/events/index.js';
import { loadKubeAccess, type KubeAccess } from '../../lib/kube/access.js';
import { PermanentError, TransientError } from '../runtime/errors.js';
import type { FunctionContext, FunctionDefinition, IncomingEvent } from '../runtime/types.js';
import { kubeHttp, type KubeHttp } from '../../lib/kube/http.js';
import { kindInfo, kindsForControls, RBAC_KINDS } from './cluster/kinds.js';
import { ClusterReader, mapLimit, type ClusterSnapshot, type NamespaceFilter } from './cluster/reader.js';
import { affects, resolveScope, scopeNamespaces } from './cluster/scope.js';
import { loadScanFunctionConfig, type ScanFunctionConfig } from './function-config.js';
import {
  DEFAULT_CONTROL_INPUTS,
  parseControlInputs,
  parseExceptions,
  resolveSelection,
  scanResources,
  ScanSelectionError,
  type ControlInputs,
  type PostureExceptionPolicy,
} from './index.js';
import { resultBuilder, type ResultEntry } from './results/build.js';
import { staleResults } from './results/gc.js';
import { ResultWriter, SCAN_PLURAL, SUMMARY_PLURAL } from './results/writer.js';
import { createHostFactsService } from './host/service.js';
import type { HostFactsStore } from './host/store.js';
import type { Database } from '../../lib/db/index.js';

export interface ScanDeps {
  config?: ScanFunctionConfig;
  /** Kubernetes client (cluster reads and result writes); default from the kubeconfig / in-cluster config. */
  http?: KubeHttp;
  kubeConfig?: KubeAccess;
  now?: () => Date;
  /** Database for the host-facts table (dev mode shares one); default DATABASE_URL or in-memory PGlite. */
  database?: Database;
  /** Host-facts store (tests). */
  hostFacts?: HostFactsStore;
}

type ConfigScanRequest = EventData<typeof EVENT_TYPES.configScanRequested>;

export function derivedId(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export interface ScanSettings {
  exceptions: PostureExceptionPolicy[];
  inputs: ControlInputs;
}

/** Exceptions and control inputs from the configured files (each optional). */
export async function loadScanSettings(
  config: Pick<ScanFunctionConfig, 'KSCAPE_EXCEPTIONS' | 'KSCAPE_CONTROLS_CONFIG'>,
): Promise<ScanSettings> {
  const exceptions = config.KSCAPE_EXCEPTIONS
    ? parseExceptions(await readFile(config.KSCAPE_EXCEPTIONS, 'utf8'))
    : [];
  const inputs = config.KSCAPE_CONTROLS_CONFIG
    ? parseControlInputs(await readFile(config.KSCAPE_CONTROLS_CONFIG, 'utf8'))
    : DEFAULT_CONTROL_INPUTS;
  return { exceptions, inputs };
}

export function createScanFunction(deps: ScanDeps = {}): FunctionDefinition {
  const config = deps.config ?? loadScanFunctionConfig();
  const now = deps.now ?? (() => new Date());
  let client = deps.http;
  const http = (): KubeHttp => (client ??= kubeHttp(deps.kubeConfig ?? (() => loadKubeAccess())));
  let settingsPromise: Promise<ScanSettings> | undefined;
  const settings = (): Promise<ScanSettings> =>
    (settingsPromise ??= loadScanSettings(config).catch((e: unknown) => {
      settingsPromise = undefined;
      // A broken file is fixed by the operator (ConfigMap update): retry rather than dead-letter.
      throw new TransientError(
        `scan configuration unreadable (KSCAPE_EXCEPTIONS / KSCAPE_CONTROLS_CONFIG): ${message(e)}`,
      );
    }));

  const host = createHostFactsService({
    frameworks: config.KSCAPE_SCAN_DEFAULT_FRAMEWORKS,
    clusterName: config.KSCAPE_CLUSTER_NAME,
    operatorNamespace: config.KSCAPE_NAMESPACE,
    http,
    now,
    settings,
    ...(deps.database ? { database: deps.database } : {}),
    ...(deps.hostFacts ? { store: deps.hostFacts } : {}),
  });

  async function onConfigScan(event: IncomingEvent, ctx: FunctionContext): Promise<CatalogEvent> {
    const data = event.data as ConfigScanRequest;
    const scanId = data.scanId ?? event.id;
    const frameworks =
      data.frameworks ?? (data.controls?.length ? [] : [...config.KSCAPE_SCAN_DEFAULT_FRAMEWORKS]);
    const controls = data.controls ?? [];
    let selection;
    try {
      selection = resolveSelection({ frameworks, controls });
    } catch (e) {
      if (e instanceof ScanSelectionError) throw new PermanentError(e.message);
      throw e;
    }
    const { exceptions, inputs } = await settings();
    const scope = data.scope;
    const include = scope.namespaces ?? [];
    const namespaces: NamespaceFilter = {
      include,
      exclude:
        scope.excludeNamespaces ??
        (include.length > 0 ? [] : [...config.KSCAPE_SCAN_DEFAULT_EXCLUDE_NAMESPACES]),
    };
    const kinds = kindsForControls(selection.controlIDs);
    const scoped = (scope.objects?.length ?? 0) > 0;
    ctx.log.info(
      {
        scanId,
        frameworks,
        controls: selection.controlIDs.length,
        kinds: kinds.length,
        scoped,
        objects: scope.objects?.length ?? 0,
      },
      'posture scan started',
    );

    const reader = new ClusterReader(http());
    const readOptions = {
      namespaces,
      pageSize: config.KSCAPE_SCAN_PAGE_SIZE,
      concurrency: config.KSCAPE_SCAN_CONCURRENCY,
      log: ctx.log,
      signal: ctx.signal,
      progressEvery: config.KSCAPE_SCAN_PROGRESS_EVERY,
    };
    let snapshot: ClusterSnapshot;
    let readNamespaces: string[] | undefined;
    try {
      if (scoped) {
        // The RBAC graph first (whole), then the rest only where the scope reaches (scope.ts).
        const rbac = await reader.read({
          ...readOptions,
          kinds: kinds.filter((k) => RBAC_KINDS.includes(k.kind)),
        });
        readNamespaces = scopeNamespaces(scope.objects ?? [], rbac.objects);
        const rest = await reader.read({
          ...readOptions,
          kinds: kinds.filter((k) => !RBAC_KINDS.includes(k.kind)),
          ...(readNamespaces ? { namespacedIn: readNamespaces } : {}),
        });
        snapshot = {
          objects: [...rbac.objects, ...rest.objects],
          listedKinds: [...rbac.listedKinds, ...rest.listedKinds],
          skippedKinds: [...rbac.skippedKinds, ...rest.skippedKinds],
        };
      } else snapshot = await reader.read({ ...readOptions, kinds });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      throw new TransientError(`reading the cluster failed: ${message(e)}`);
    }
    ctx.log.info(
      {
        objects: snapshot.objects.length,
        listed: snapshot.listedKinds.length,
        notServed: snapshot.skippedKinds,
        ...(scoped ? { namespaces: readNamespaces ?? 'all' } : {}),
      },
      'cluster read',
    );
    const scope$ = scoped ? resolveScope(scope.objects ?? [], snapshot.objects) : undefined;

    const hostObjects = await host.objectsFor(snapshot.objects, ctx.log);
    const input = hostObjects.length > 0 ? [...snapshot.objects, ...hostObjects] : snapshot.objects;
    // Results go straight from the engine into the stored objects: the engine report is not held.
    const builder = resultBuilder(snapshot.objects, {
      operatorNamespace: config.KSCAPE_NAMESPACE,
      clusterName: config.KSCAPE_CLUSTER_NAME,
      scanId,
    });
    const report = scanResources(input, {
      frameworks,
      controls,
      exceptions,
      inputs,
      clusterName: config.KSCAPE_CLUSTER_NAME,
      now: now(),
      includePassed: true,
      onResult: (r) => builder.add(r),
      ...(scope$ ? { only: affects(scope$.affected) } : {}),
    });
    ctx.log.info({ scanId, evaluated: report.evaluatedResources }, 'posture scan evaluated');
    const entries = builder.entries();

    const writer = new ResultWriter(http(), ctx.signal);
    let selected: ResultEntry[] = entries;
    let deleted = 0;
    try {
      if (scope$) {
        const { affected, missing } = scope$;
        selected = entries.filter((e) => e.refs.some((r) => affected.has(r)));
        deleted += await deleteMissing(writer, missing, entries, config.KSCAPE_NAMESPACE);
      }
      let written = 0;
      let changed = 0;
      await mapLimit(selected, config.KSCAPE_SCAN_WRITE_CONCURRENCY, async (entry) => {
        ctx.signal.throwIfAborted();
        if ((await writer.write(entry)) !== 'unchanged') changed++;
        written++;
        if (written % config.KSCAPE_SCAN_PROGRESS_EVERY === 0)
          ctx.log.info({ written, of: selected.length }, 'writing results');
      });
      if (!scoped) {
        for (const plural of [SCAN_PLURAL, SUMMARY_PLURAL]) {
          const stored = await writer.listResults(plural, LABELS.workloadKind, config.KSCAPE_SCAN_PAGE_SIZE);
          const stale = staleResults(stored, {
            objects: snapshot.objects,
            listedKinds: snapshot.listedKinds,
            namespaces,
            operatorNamespace: config.KSCAPE_NAMESPACE,
          });
          for (const s of stale) if (await writer.delete(plural, s.namespace, s.name)) deleted++;
        }
      }
      ctx.log.info({ scanId, results: selected.length, changed, deleted }, 'posture scan results stored');
    } catch (e) {
      if (ctx.signal.aborted || e instanceof PermanentError) throw e;
      throw new TransientError(`writing scan results failed: ${message(e)}`);
    }

    const counts = { resources: selected.length, passed: 0, failed: 0, skipped: 0, excluded: 0 };
    for (const e of selected) {
      counts[e.status]++;
      if (e.excepted) counts.excluded++;
    }
    const ordered = [
      ...selected.filter((e) => e.status === 'failed'),
      ...selected.filter((e) => e.status !== 'failed'),
    ];
    const results: ObjectRef[] = ordered.slice(0, config.KSCAPE_SCAN_REPLY_MAX_RESULTS).map((e) => ({
      apiVersion: API_VERSION,
      kind: KINDS.WorkloadConfigurationScan,
      namespace: e.namespace,
      name: e.name,
    }));
    const clamp = (n: number) => Math.min(100, Math.max(0, Number.isFinite(n) ? n : 0));
    return buildEvent(
      EVENT_TYPES.configScanCompleted,
      {
        scanId,
        frameworks: report.summaryDetails.frameworks.map((f) => ({
          name: f.name,
          complianceScore: clamp(f.complianceScore),
          riskScore: clamp(f.score),
        })),
        counts,
        results,
      },
      {
        source: ctx.source,
        id: derivedId(['configscan.completed', scanId]),
        subject: scanId,
        causedBy: { traceparent: ctx.traceparent, tracestate: ctx.tracestate },
      },
    );
  }

  return {
    name: 'scan',
    consumes: FUNCTION_ROUTES.scan.consumes,
    async handle(event, ctx) {
      if (event.type === EVENT_TYPES.configScanRequested) return onConfigScan(event, ctx);
      if (event.type === EVENT_TYPES.hostReported) return host.onReported(event, ctx);
      throw new PermanentError(`scan does not handle ${event.type}`);
    },
    async ready() {
      await settings();
    },
    close: () => host.close(),
  };
}

/** Delete the results of requested objects that are gone: their own result, and for RBAC objects the triplets containing them. */
async function deleteMissing(
  writer: ResultWriter,
  missing: readonly ObjectRef[],
  current: readonly ResultEntry[],
  operatorNamespace: string,
): Promise<number> {
  let deleted = 0;
  const currentLocations = new Set(current.map((e) => `${e.namespace}/${e.name}`));
  for (const ref of missing) {
    const ns = ref.namespace || operatorNamespace;
    const name = workloadScanName(ref.kind, ref.name);
    for (const plural of [SCAN_PLURAL, SUMMARY_PLURAL]) if (await writer.delete(plural, ns, name)) deleted++;
    if (!RBAC_KINDS.includes(ref.kind) || !kindInfo(ref.kind)) continue;
    const sel: Record<string, string | undefined> =
      ref.kind === 'Role'
        ? { [LABELS.roleName]: ref.name, [LABELS.roleNamespace]: ref.namespace }
        : ref.kind === 'RoleBinding'
          ? { [LABELS.roleBindingName]: ref.name, [LABELS.roleBindingNamespace]: ref.namespace }
          : ref.kind === 'ClusterRole'
            ? { [LABELS.clusterRoleName]: ref.name }
            : { [LABELS.clusterRoleBindingName]: ref.name };
    const parts: string[] = [`${LABELS.rbacResource}=true`];
    for (const [k, v] of Object.entries(sel)) {
      const lv = v === undefined ? undefined : labelValue(v);
      if (lv) parts.push(`${k}=${lv}`);
    }
    for (const plural of [SCAN_PLURAL, SUMMARY_PLURAL]) {
      for (const s of await writer.listResults(plural, parts.join(','))) {
        // A triplet still produced by the current cluster (same name) is not the gone object's.
        if (currentLocations.has(`${s.namespace}/${s.name}`)) continue;
        if (await writer.delete(plural, s.namespace, s.name)) deleted++;
      }
    }
  }
  return deleted;
}
