/** Public API of image acquisition and SBOM generation (vuln part 1). See README.md. */
export { generateSbom, catalogImage, openSource, DEFAULT_LIMITS, type GenerateOptions, type GenerateResult, type SbomLimits, type Progress } from './generate.js';
export { buildSbomObject, type SbomObjectOptions } from './sbom/object.js';
export { toSpdx, type SpdxJson } from './sbom/spdx.js';
export { toCycloneDx, type CycloneDxJson } from './sbom/cyclonedx.js';
export { validateSpdx } from './sbom/validate.js';
export { MemorySbomCache, sbomCacheKey, type SbomCache, type CachedSbom } from './cache.js';
export { credentialsFromDockerConfig, credentialsFromSecret, credentialsFromKubevuln, matchCredential, type RegistryCredential } from './image/credentials.js';
export { parseReference, type ImageReference } from './image/reference.js';
export type { Package, PackageType, Distro, Location } from './catalog/types.js';
export * from './errors.js';
export { TOOL_NAME, TOOL_VERSION, CATALOGER_VERSION } from './version.js';
export { createVulnFunction, classifyImageError, pullReference, type VulnDeps } from './function.js';
export { loadVulnFunctionConfig, vulnFunctionConfigSpec, type VulnFunctionConfig } from './function-config.js';
export { filterSbom, packagesFromSpdx, withOwnedFiles, canonicalPath, type ScanPackage } from './function-sbom.js';
