/**
 * The commands the provider may send (an allow-list), their zod schemas, and how each becomes
 * request events (configscan, vulnscan, vulndb-update) or a cluster change (set-schedule,
 * set-exceptions). Also the mapping of Kubescape's `POST /v1/triggerAction` commands onto them.
 */
import { Cron } from 'croner';
import { z } from 'zod';

const labelName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label');

export const PING_SOURCES = ['kscape-posture-daily', 'kscape-vulnerability-daily', 'kscape-vulndb-refresh', 'kscape-tick'] as const;

const cron = z
  .string()
  .min(1)
  .max(128)
  .refine((s) => {
    try {
      new Cron(s, { paused: true }).stop();
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid cron expression');

const WorkloadImage = z
  .object({
    apiVersion: z.string().min(1).default('apps/v1'),
    kind: z.string().min(1),
    namespace: labelName,
    name: z.string().min(1).max(253),
    container: z.string().min(1),
    image: z.string().min(1).max(1024),
  })
  .strict();

/** Kubescape PostureExceptionPolicy (armoapi-go `armotypes.PostureExceptionPolicy`), tolerant of extra fields. */
export const PostureExceptionPolicySchema = z
  .object({
    name: z.string().min(1).max(253),
    policyType: z.string().default('postureExceptionPolicy'),
    actions: z.array(z.string()).default(['alertOnly']),
    resources: z.array(z.object({ designatorType: z.string(), attributes: z.record(z.string(), z.string()) }).loose()).max(1000),
    posturePolicies: z
      .array(z.object({ frameworkName: z.string().optional(), controlID: z.string().optional(), controlName: z.string().optional() }).loose())
      .max(1000),
  })
  .loose();
export type PostureExceptionPolicy = z.infer<typeof PostureExceptionPolicySchema>;

export const COMMAND_SCHEMAS = {
  configscan: z
    .object({
      frameworks: z.array(z.string().min(1).max(128)).max(64).optional(),
      namespaces: z.array(labelName).max(1000).optional(),
      excludeNamespaces: z.array(labelName).max(1000).optional(),
      controls: z.array(z.string().regex(/^C-\d{4}$/, 'must be a control ID such as C-0017')).max(1000).optional(),
    })
    .strict(),
  vulnscan: z
    .object({
      images: z.array(z.string().min(1).max(1024)).min(1).max(1000).optional(),
      workloads: z.array(WorkloadImage).min(1).max(1000).optional(),
    })
    .strict()
    .refine((v) => v.images !== undefined || v.workloads !== undefined, { message: 'give images or workloads' }),
  'vulndb-update': z.object({ sources: z.array(z.string().min(1).max(64)).max(64).optional() }).strict(),
  'set-schedule': z.object({ pingSource: z.enum(PING_SOURCES), schedule: cron }).strict(),
  'set-exceptions': z.object({ exceptions: z.array(PostureExceptionPolicySchema).max(1000) }).strict(),
} as const;

export type CommandName = keyof typeof COMMAND_SCHEMAS;
export const COMMAND_NAMES = Object.keys(COMMAND_SCHEMAS) as CommandName[];
export type CommandParams<N extends CommandName> = z.output<(typeof COMMAND_SCHEMAS)[N]>;
export type ParsedCommand = { [N in CommandName]: { command: N; params: CommandParams<N> } }[CommandName];

export interface Issue {
  path: string;
  message: string;
}
export type ParseOutcome = { ok: true; cmd: ParsedCommand } | { ok: false; kind: 'unknown-command' | 'invalid-params'; detail: string; issues: Issue[] };

const isName = (s: unknown): s is CommandName => typeof s === 'string' && Object.prototype.hasOwnProperty.call(COMMAND_SCHEMAS, s);

/** `{"command": NAME, ...params}` → a validated command, or why not. */
export function parseCommand(body: unknown): ParseOutcome {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, kind: 'invalid-params', detail: 'the body must be a JSON object', issues: [{ path: '(root)', message: 'expected an object' }] };
  }
  const { command, ...params } = body as Record<string, unknown>;
  if (!isName(command)) {
    return {
      ok: false,
      kind: 'unknown-command',
      detail: `unknown command ${JSON.stringify(command)}; allowed: ${COMMAND_NAMES.join(', ')}`,
      issues: [{ path: 'command', message: `must be one of ${COMMAND_NAMES.join(', ')}` }],
    };
  }
  const r = (COMMAND_SCHEMAS[command] as z.ZodType).safeParse(params);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    return { ok: false, kind: 'invalid-params', detail: `invalid parameters for ${command}`, issues };
  }
  return { ok: true, cmd: { command, params: r.data } as ParsedCommand };
}

// ---- Kubescape triggerAction -------------------------------------------------------------------

export const TRIGGER_ACTION_COMMANDS = [
  'kubescapeScan',
  'runKubescapeJob',
  'scan',
  'setKubescapeCronJob',
  'updateKubescapeCronJob',
  'setVulnScanCronJob',
  'updateVulnScanCronJob',
] as const;

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : {});
const strs = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);

/** One Kubescape `apis.Command` → the body of an internal command (then validated by parseCommand). */
export function mapTriggerCommand(raw: unknown): { ok: true; body: Rec } | { ok: false; detail: string } {
  const c = rec(raw);
  // Go's encoding/json matches field names case-insensitively: accept commandName and CommandName.
  const key = Object.keys(c).find((k) => k.toLowerCase() === 'commandname');
  const name = key ? c[key] : undefined;
  const argsKey = Object.keys(c).find((k) => k.toLowerCase() === 'args');
  const args = rec(argsKey ? c[argsKey] : undefined);
  switch (name) {
    case 'kubescapeScan':
    case 'runKubescapeJob': {
      const scan = rec(args.scanV1);
      const targetType = typeof scan.targetType === 'string' ? scan.targetType.toLowerCase() : 'framework';
      const names = strs(scan.targetNames);
      const body: Rec = { command: 'configscan' };
      if (names && names.length && !(names.length === 1 && names[0] === 'all')) {
        if (targetType === 'control') body.controls = names;
        else body.frameworks = names;
      }
      const inc = typeof scan.includeNamespaces === 'string' ? scan.includeNamespaces : undefined;
      const exc = typeof scan.excludedNamespaces === 'string' ? scan.excludedNamespaces : undefined;
      if (inc) body.namespaces = inc.split(',').map((s) => s.trim()).filter(Boolean);
      if (exc) body.excludeNamespaces = exc.split(',').map((s) => s.trim()).filter(Boolean);
      return { ok: true, body };
    }
    case 'scan': {
      const images = strs(args.images) ?? (typeof args.imageTag === 'string' ? [args.imageTag] : undefined);
      if (!images) {
        return { ok: false, detail: 'scan: only the image form is supported (args.imageTag or args.images); scoped scans run from the daily vulnerability schedule' };
      }
      return { ok: true, body: { command: 'vulnscan', images } };
    }
    case 'setKubescapeCronJob':
    case 'updateKubescapeCronJob':
    case 'setVulnScanCronJob':
    case 'updateVulnScanCronJob': {
      const posture = name.includes('Kubescape');
      const p = rec(posture ? (args.kubescapeJobParams ?? args.jobParams) : (args.jobParams ?? args.kubescapeJobParams));
      return {
        ok: true,
        body: {
          command: 'set-schedule',
          pingSource: posture ? 'kscape-posture-daily' : 'kscape-vulnerability-daily',
          schedule: p.cronTabSchedule,
        },
      };
    }
    default:
      return { ok: false, detail: `unsupported command ${JSON.stringify(name)}; supported: ${TRIGGER_ACTION_COMMANDS.join(', ')}` };
  }
}
