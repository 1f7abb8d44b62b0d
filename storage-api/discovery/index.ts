export { buildDiscovery, compareVersions, storageVersionHash, type Discovery } from './discovery.js';
export {
  PATCH_CONTENT_TYPES,
  buildOpenApi,
  definitionName,
  gvPath,
  type OpenApi,
  type OpenApiOptions,
} from './openapi.js';

/** Media type parameters of an aggregated discovery response (`Content-Type` the engine must send). */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
