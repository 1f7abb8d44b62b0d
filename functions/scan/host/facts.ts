/**
 * Node-agent host facts inside a scan: the facts of one node travel through the engine as a
 * KubeObject of kind `NodeHostFacts` (named after the node), so that the posture engine stays a pure
 * function of its input objects. Host controls evaluate a Node resource by looking up the facts
 * object of the same name in the ClusterIndex; no facts object means "no node-agent report" and the
 * controls are reported skipped (subStatus `integration`) for that node.
 */
import { HostFactsSchema, type HostFacts } from '../../../node-agent/host/facts.js';
import type { ClusterIndex } from '../engine/cluster-index.js';
import type { KubeObject } from '../engine/types.js';

export type { HostFacts };

export const HOST_FACTS_KIND = 'NodeHostFacts';
export const HOST_FACTS_API_VERSION = 'hostdata.kscape.io/v1';

export interface HostFactsObject extends KubeObject {
  collectedAt: string;
  facts: HostFacts;
}

/** Facts that do not match node-agent's published schema (a producer bug or a hostile sender). */
export class HostFactsError extends Error {
  override name = 'HostFactsError';
}

/** Validate untrusted facts (an event payload, a stored row) against node-agent's schema. */
export function parseHostFacts(data: unknown): HostFacts {
  const parsed = HostFactsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HostFactsError(
      `host facts do not match node-agent schema v1: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    );
  }
  return parsed.data;
}

export function hostFactsObject(nodeName: string, collectedAt: string, facts: HostFacts): HostFactsObject {
  return {
    apiVersion: HOST_FACTS_API_VERSION,
    kind: HOST_FACTS_KIND,
    metadata: { name: nodeName },
    collectedAt,
    facts,
  };
}

/** The facts reported for a node in this scan's input, if any. */
export function hostFactsOf(index: ClusterIndex, nodeName: string): HostFacts | undefined {
  const o = index.find(HOST_FACTS_KIND, undefined, nodeName) as HostFactsObject | undefined;
  return o?.facts;
}
