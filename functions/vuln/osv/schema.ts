/**
 * OSV records (ossf/osv-schema, schema 1.7). Validation is strict on what matching relies on
 * (ids, range types, one key per event, severity types) and lenient elsewhere: unknown fields are
 * kept (`loose`), because databases add fields faster than schema versions and `raw` is stored.
 */
import { z } from 'zod';

export const OsvEventSchema = z
  .object({
    introduced: z.string().min(1).optional(),
    fixed: z.string().min(1).optional(),
    last_affected: z.string().min(1).optional(),
    limit: z.string().min(1).optional(),
  })
  .refine(
    (e) => [e.introduced, e.fixed, e.last_affected, e.limit].filter((x) => x !== undefined).length === 1,
    {
      message: 'an event has exactly one of introduced, fixed, last_affected, limit',
    },
  );
export type OsvEvent = z.infer<typeof OsvEventSchema>;

export const OsvRangeSchema = z
  .object({
    type: z.enum(['SEMVER', 'ECOSYSTEM', 'GIT']),
    repo: z.string().optional(),
    events: z.array(OsvEventSchema).min(1),
    database_specific: z.record(z.string(), z.unknown()).optional(),
  })
  .loose()
  .refine((r) => r.type !== 'GIT' || (r.repo !== undefined && r.repo.length > 0), {
    message: 'GIT ranges need repo',
  });
export type OsvRange = z.infer<typeof OsvRangeSchema>;

export const OsvSeveritySchema = z.object({
  type: z.enum(['CVSS_V2', 'CVSS_V3', 'CVSS_V4', 'Ubuntu']),
  score: z.string().min(1),
});
export type OsvSeverity = z.infer<typeof OsvSeveritySchema>;

export const OsvPackageSchema = z
  .object({
    ecosystem: z.string().min(1),
    name: z.string().min(1),
    purl: z.string().optional(),
  })
  .loose();

export const OsvAffectedSchema = z
  .object({
    package: OsvPackageSchema.optional(),
    severity: z.array(OsvSeveritySchema).optional(),
    ranges: z.array(OsvRangeSchema).optional(),
    versions: z.array(z.string()).optional(),
    ecosystem_specific: z.record(z.string(), z.unknown()).optional(),
    database_specific: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type OsvAffected = z.infer<typeof OsvAffectedSchema>;

const timestamp = z.string().min(1);

export const OsvRecordSchema = z
  .object({
    schema_version: z.string().optional(),
    id: z.string().min(1).max(256),
    modified: timestamp,
    published: timestamp.optional(),
    withdrawn: timestamp.optional(),
    aliases: z.array(z.string()).optional(),
    upstream: z.array(z.string()).optional(),
    related: z.array(z.string()).optional(),
    summary: z.string().optional(),
    details: z.string().optional(),
    severity: z.array(OsvSeveritySchema).optional(),
    affected: z.array(OsvAffectedSchema).optional(),
    references: z.array(z.object({ type: z.string(), url: z.string() }).loose()).optional(),
    credits: z.array(z.record(z.string(), z.unknown())).optional(),
    database_specific: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type OsvRecord = z.infer<typeof OsvRecordSchema>;

/** Parses one record; throws a ZodError describing the first problems. */
export function parseOsvRecord(input: unknown): OsvRecord {
  return OsvRecordSchema.parse(input);
}

/** A record whose `withdrawn` time has passed is excluded from matching. */
export function isWithdrawn(r: { withdrawn?: string | null | undefined }, now: Date = new Date()): boolean {
  if (!r.withdrawn) return false;
  const t = Date.parse(r.withdrawn);
  return Number.isNaN(t) || t <= now.getTime();
}
