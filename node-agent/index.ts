/**
 * Public API of the node agent. The agent itself is agent.ts (what `kscape node-agent` loads);
 * this module adds what consumers of its reports need, such as the zod schema of the host facts.
 */
export {
  runNodeAgent,
  type NodeAgentOptions,
  type NodeAgentSnapshot,
  type RelevancyContainerSnapshot,
} from './agent.js';
export { NODE_AGENT_CONFIG, loadNodeAgentConfig, type NodeAgentConfig } from './config.js';
export { HostFactsSchema, HOST_FACTS_SCHEMA_VERSION, type HostFacts } from './host/facts.js';
export { collectHostFacts, factsHash, KERNEL_VARIABLES } from './host/collect.js';
export {
  StaticPodLookup,
  KubePodLookup,
  inClusterPodLister,
  kubeconfigPodLister,
  type PodLookup,
  type PodLister,
  type ContainerIdentity,
} from './relevancy/pods.js';
