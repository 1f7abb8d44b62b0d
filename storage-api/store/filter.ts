/**
 * Label and field selectors compiled to SQL over the `labels` jsonb column (same shape in
 * storage_objects and storage_events), plus the in-memory twin used by the watch fan-out.
 * The two MUST agree; filter.test.ts checks them against each other on the same data.
 *
 * kube semantics (apimachinery labels.Requirement): `!=` and `notin` also match objects that do not
 * have the key at all.
 */
import type { FieldRequirement, LabelRequirement } from './types.js';
import { matchesLabels } from '../query/selectors.js';

export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

export function labelSql(alias: string, reqs: readonly LabelRequirement[] | undefined, p: Params): string[] {
  const out: string[] = [];
  for (const r of reqs ?? []) {
    const col = `${alias}.labels`;
    switch (r.op) {
      case 'exists':
        out.push(`${col} ? ${p.add(r.key)}`);
        break;
      case 'notexists':
        out.push(`NOT (${col} ? ${p.add(r.key)})`);
        break;
      case 'eq':
        // @> is served by the GIN index.
        out.push(`${col} @> ${p.add(JSON.stringify({ [r.key]: r.value }))}::jsonb`);
        break;
      case 'neq':
        out.push(`NOT (${col} @> ${p.add(JSON.stringify({ [r.key]: r.value }))}::jsonb)`);
        break;
      case 'in':
        if (r.values.length === 0) out.push('false');
        else out.push(`(${col} ->> ${p.add(r.key)}) = ANY(${p.add(r.values)}::text[])`);
        break;
      case 'notin':
        if (r.values.length > 0) out.push(`NOT coalesce((${col} ->> ${p.add(r.key)}) = ANY(${p.add(r.values)}::text[]), false)`);
        break;
      default: {
        const never: never = r;
        throw new Error(`unknown label operator ${JSON.stringify(never)}`);
      }
    }
  }
  return out;
}

export function fieldSql(alias: string, reqs: readonly FieldRequirement[] | undefined, p: Params): string[] {
  return (reqs ?? []).map((r) => {
    const col = r.field === 'metadata.name' ? `${alias}.name` : `${alias}.namespace`;
    return `${col} ${r.op === 'eq' ? '=' : '<>'} ${p.add(r.value)}`;
  });
}

export function matchLabels(labels: Readonly<Record<string, string>> | null | undefined, reqs: readonly LabelRequirement[] | undefined): boolean {
  // One implementation of selector semantics for SQL-less paths (watch fan-out) and the API engine.
  return !reqs || reqs.length === 0 || matchesLabels(reqs, labels ?? undefined);
}

export function matchFields(key: { namespace: string; name: string }, reqs: readonly FieldRequirement[] | undefined): boolean {
  for (const r of reqs ?? []) {
    const v = r.field === 'metadata.name' ? key.name : key.namespace;
    if ((v === r.value) !== (r.op === 'eq')) return false;
  }
  return true;
}
