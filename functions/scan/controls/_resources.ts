/**
 * The resource request/limit rules (C-0004, C-0050, C-0009, C-0268..C-0271). Missing values are
 * reported as fixPaths with the placeholder `YOUR_VALUE`; values outside the configured range as
 * failed paths, as in regolibrary `resources-*-limit-and-request`.
 */
import { at } from '../engine/paths.js';
import { memoryBytes, cpuMillis } from '../engine/quantity.js';
import type { ControlInputs } from '../engine/inputs.js';
import type { Finding, RuleDefinition } from '../engine/types.js';
import { containersOf, MAIN_CONTAINERS, type ContainerRef } from '../engine/workload.js';
import { fix, NO_FINDINGS, PathFindings, review, workloadRule } from './_lib.js';

type Field = 'requests' | 'limits';
/** Shared: an array literal in the loop was one allocation per container and rule. */
const FIELDS: readonly Field[] = ['requests', 'limits'];
type Resource = 'cpu' | 'memory';

/** Rule failing containers that lack `resources.<field>.<resource>` (containers only, as the Rego rules). */
export function missingResourceRule(name: string, wanted: readonly [Field, Resource][]): RuleDefinition {
  const missing = wanted.map(
    ([field, res]) => new PathFindings((p) => fix(at(p, `.resources.${field}.${res}`), 'YOUR_VALUE')),
  );
  return workloadRule(name, (wl) => {
    let out: Finding[] | undefined;
    const containers = containersOf(wl, MAIN_CONTAINERS);
    for (let i = 0; i < containers.length; i++) {
      const c = containers[i] as ContainerRef;
      for (let k = 0; k < wanted.length; k++) {
        // Indexed, not destructured: array destructuring goes through the iterator protocol.
        const pair = wanted[k] as [Field, Resource];
        const v = c.container.resources?.[pair[0]]?.[pair[1]];
        if (v === undefined || v === null || v === '')
          (out ??= []).push((missing[k] as PathFindings).get(c.path));
      }
    }
    return out ?? NO_FINDINGS;
  });
}

// Parsed bounds per inputs object: inputs are immutable for a scan, containers are many.
const boundCache = new WeakMap<ControlInputs, Map<string, number | undefined>>();

function bound(
  inputs: ControlInputs,
  key: string,
  parse: (v: unknown) => number | undefined,
): number | undefined {
  let m = boundCache.get(inputs);
  if (!m) {
    m = new Map();
    boundCache.set(inputs, m);
  }
  if (m.has(key)) return m.get(key);
  const list = inputs[key];
  const v = !list || list.length === 0 ? undefined : parse(list[0]);
  m.set(key, v);
  return v;
}

/** Rule requiring request and limit of one resource, each within the configured [min, max]. */
export function rangedResourceRule(name: string, res: Resource): RuleDefinition {
  const parse = res === 'cpu' ? cpuMillis : memoryBytes;
  const requestSuffix = `.resources.requests.${res}`;
  const limitSuffix = `.resources.limits.${res}`;
  const missingRequest = new PathFindings((p) => fix(at(p, requestSuffix), 'YOUR_VALUE'));
  const missingLimit = new PathFindings((p) => fix(at(p, limitSuffix), 'YOUR_VALUE'));
  const inputs = [`${res}_request_max`, `${res}_request_min`, `${res}_limit_max`, `${res}_limit_min`];
  // The four bounds of the scan's inputs, resolved once per inputs object (not per container).
  let boundsOf: ControlInputs | undefined;
  let bounds: Record<'request' | 'limit', { min?: number; max?: number }> | undefined;
  const boundsFor = (inputs: ControlInputs) => {
    if (inputs !== boundsOf || !bounds) {
      const pair = (kind: 'request' | 'limit') => {
        const min = bound(inputs, `${res}_${kind}_min`, parse);
        const max = bound(inputs, `${res}_${kind}_max`, parse);
        return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
      };
      bounds = { request: pair('request'), limit: pair('limit') };
      boundsOf = inputs;
    }
    return bounds;
  };
  return workloadRule(
    name,
    (wl, ctx) => {
      const b = boundsFor(ctx.inputs);
      let out: Finding[] | undefined;
      const containers = containersOf(wl, MAIN_CONTAINERS);
      for (let i = 0; i < containers.length; i++) {
        const c = containers[i] as ContainerRef;
        for (let fi = 0; fi < FIELDS.length; fi++) {
          const field = FIELDS[fi] as Field;
          const raw = c.container.resources?.[field]?.[res];
          if (raw === undefined || raw === null || raw === '') {
            (out ??= []).push((field === 'requests' ? missingRequest : missingLimit).get(c.path));
            continue;
          }
          const path = at(c.path, field === 'requests' ? requestSuffix : limitSuffix);
          const value = parse(raw);
          const { min, max } = b[field === 'requests' ? 'request' : 'limit'];
          if (
            value === undefined ||
            (min !== undefined && value < min) ||
            (max !== undefined && value > max)
          ) {
            (out ??= []).push(review(path));
          }
        }
      }
      return out ?? NO_FINDINGS;
    },
    { inputs },
  );
}
