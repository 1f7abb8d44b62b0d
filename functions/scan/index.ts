/**
 * Public API of the posture-scanning core (pure: no I/O). The scan function and `kscape scan`
 * collect objects, then call `scanResources`.
 */
export {
  scanResources,
  resolveSelection,
  ScanSelectionError,
  type ScanOptions,
  type ScanReport,
  type ReportResult,
  type ReportResourceControl,
  type ReportRule,
  type ReportPath,
  type SummaryDetails,
  type ControlSummary,
  type FrameworkSummary,
  type ResourceCounters,
  type SeverityCounters,
  type Selection,
} from './report.js';
export { CONTROLS, implementedControl } from './controls/index.js';
export { WORKLOAD_CONTROL_CATALOG, catalogEntry, type CatalogEntry } from './controls/catalog.js';
export { HOST_CONTROL_CATALOG } from './controls/host-catalog.js';
export {
  HOST_FACTS_KIND,
  HOST_FACTS_API_VERSION,
  HostFactsError,
  hostFactsObject,
  parseHostFacts,
  type HostFacts,
  type HostFactsObject,
} from './host/facts.js';
export {
  FRAMEWORKS,
  frameworkNames,
  getFramework,
  frameworksOfControl,
  UnknownFrameworkError,
  type FrameworkDefinition,
} from './frameworks.js';
export {
  parseExceptions,
  ExceptionMatcher,
  ExceptionsError,
  PostureExceptionPolicySchema,
  type PostureExceptionPolicy,
} from './exceptions.js';
export {
  DEFAULT_CONTROL_INPUTS,
  parseControlInputs,
  controlInputsFromConfigMap,
  mergeInputs,
  ControlInputsError,
  type ControlInputs,
} from './engine/inputs.js';
export {
  resourceWeight,
  controlComplianceScore,
  controlRiskScore,
  frameworkComplianceScore,
  frameworkRiskScore,
  type ControlTally,
} from './scores.js';
export { ClusterIndex } from './engine/cluster-index.js';
export { severityOf } from './engine/control.js';
export { objectId, resourceId } from './engine/objects.js';
export { workloadView, WORKLOAD_KINDS } from './engine/workload.js';
export type {
  KubeObject,
  ControlDefinition,
  RuleDefinition,
  RuleResult,
  Finding,
  FixPath,
  ScanResource,
  SubjectVector,
  EvalContext,
  Status,
  SubStatus,
  Severity,
} from './engine/types.js';
