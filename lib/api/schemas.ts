/**
 * zod schemas and TypeScript types of the `spec` of every kind in
 * `spdx.softwarecomposition.kubescape.io/v1beta1`, following the Go field trees of kubescape/storage
 * (reference/storage-api.md §1). They serve three purposes:
 *
 * 1. typed construction of result objects by the functions (`VulnerabilityManifestSpec` ...);
 * 2. request validation in storage-api (through the JSON Schema derived in ./openapi.ts);
 * 3. OpenAPI v2/v3 documents, so `kubectl explain vulnerabilitymanifests.spec` works.
 *
 * Tolerance rules, because the writers are Go programs and third-party tools:
 * - every object is `.loose()`: unknown fields are kept (a newer kubevuln may add some);
 * - lists are `nullish`: Go marshals nil slices without `omitempty` as `null`;
 * - almost every field is optional: Go `omitempty` drops zero values, and old writers omit fields;
 * - raw JSON fields (`json.RawMessage`, `interface{}`) are `z.unknown()` → preserve-unknown-fields.
 */
import { z } from 'zod';

const list = <T extends z.ZodType>(item: T) => z.array(item).nullish();
const str = () => z.string().optional();
/** A count: Go int64 that is never negative. */
const count = () => z.number().int().nonnegative();
const bool = () => z.boolean().optional();
/** metav1.Time: RFC 3339 string; the zero time marshals as `null`. */
const time = () => z.string().nullish();
const raw = () => z.unknown().optional();

// ---------------------------------------------------------------------------------------------
// Shared pieces

export const ToolMetaSchema = z
  .object({
    name: str(),
    version: str(),
    databaseVersion: str().describe('Vulnerability DB version (VMs only).'),
  })
  .loose();
export const ReportMetaSchema = z
  .object({ createdAt: time().describe('When the report was produced.') })
  .loose();

/** Counts of one severity: all matches, and the runtime-relevant subset. */
export const VulnerabilityCountersSchema = z
  .object({
    all: count().default(0).describe('Matches of this severity in the image.'),
    relevant: count().optional().describe('Matches of this severity in packages loaded at runtime.'),
  })
  .loose();
export type VulnerabilityCounters = z.infer<typeof VulnerabilityCountersSchema>;

/** SeveritySummary: counters per Grype severity (each omitempty in Go). */
export const SeveritySummarySchema = z
  .object({
    critical: VulnerabilityCountersSchema.optional(),
    high: VulnerabilityCountersSchema.optional(),
    medium: VulnerabilityCountersSchema.optional(),
    low: VulnerabilityCountersSchema.optional(),
    negligible: VulnerabilityCountersSchema.optional(),
    unknown: VulnerabilityCountersSchema.optional(),
  })
  .loose();
export type SeveritySummary = z.infer<typeof SeveritySummarySchema>;

export const VulnerabilitiesObjScopeSchema = z.object({ namespace: str(), name: str(), kind: str() }).loose();
export type VulnerabilitiesObjScope = z.infer<typeof VulnerabilitiesObjScopeSchema>;

/** Posture severities: number of failed controls per severity bucket (int64, not omitempty). */
export const ControlSeveritiesSchema = z
  .object({
    critical: count().default(0),
    high: count().default(0),
    medium: count().default(0),
    low: count().default(0),
    unknown: count().default(0),
  })
  .loose();
export type ControlSeverities = z.infer<typeof ControlSeveritiesSchema>;

// ---------------------------------------------------------------------------------------------
// VulnerabilityManifest (grype document)

export const CvssSchema = z
  .object({
    version: str(),
    vector: str(),
    metrics: z
      .object({
        baseScore: z.number().optional(),
        exploitabilityScore: z.number().nullish(),
        impactScore: z.number().nullish(),
      })
      .loose()
      .optional(),
    vendorMetadata: raw(),
  })
  .loose();

const vulnerabilityMetadataShape = {
  id: z.string().describe('Vulnerability ID, e.g. CVE-2023-1234 or GHSA-xxxx.'),
  dataSource: str(),
  namespace: str(),
  severity: str().describe('Critical, High, Medium, Low, Negligible or Unknown.'),
  urls: list(z.string()),
  description: str(),
  cvss: list(CvssSchema),
};
export const VulnerabilityMetadataSchema = z.object(vulnerabilityMetadataShape).loose();

export const VulnerabilitySchema = z
  .object({
    ...vulnerabilityMetadataShape,
    fix: z
      .object({ versions: list(z.string()), state: str() })
      .loose()
      .optional(),
    advisories: list(z.object({ id: str(), link: str() }).loose()),
  })
  .loose();

export const GrypePackageSchema = z
  .object({
    name: z.string(),
    version: str(),
    type: str(),
    locations: list(z.object({ path: str(), layerID: str() }).loose()),
    language: str(),
    licenses: list(z.string()),
    cpes: list(z.string()),
    purl: str(),
    upstreams: list(z.object({ name: str(), version: str() }).loose()),
    metadataType: str(),
    metadata: raw(),
  })
  .loose();

const matchShape = {
  vulnerability: VulnerabilitySchema,
  relatedVulnerabilities: list(VulnerabilityMetadataSchema),
  matchDetails: list(z.object({ type: str(), matcher: str(), searchedBy: raw(), found: raw() }).loose()),
  artifact: GrypePackageSchema,
};
export const MatchSchema = z.object(matchShape).loose();
export type Match = z.infer<typeof MatchSchema>;

export const IgnoredMatchSchema = z
  .object({
    ...matchShape,
    appliedIgnoreRules: list(
      z
        .object({
          vulnerability: str(),
          'fix-state': str(),
          package: z
            .object({
              name: str(),
              version: str(),
              language: str(),
              type: str(),
              location: str(),
              'upstream-name': str(),
            })
            .loose()
            .optional(),
        })
        .loose(),
    ),
  })
  .loose();

export const GrypeDocumentSchema = z
  .object({
    matches: list(MatchSchema).describe('Vulnerability matches, one per (vulnerability, package).'),
    ignoredMatches: list(IgnoredMatchSchema),
    source: z.object({ type: str(), target: raw() }).loose().nullish(),
    distro: z
      .object({ name: str(), version: str(), idLike: list(z.string()) })
      .loose()
      .optional(),
    descriptor: z.object({ name: str(), version: str(), configuration: raw(), db: raw() }).loose().optional(),
  })
  .loose();
export type GrypeDocument = z.infer<typeof GrypeDocumentSchema>;

export const VulnerabilityManifestSpecSchema = z
  .object({
    metadata: z
      .object({
        withRelevancy: bool().describe('True for the filtered (runtime-relevant) manifest of one container.'),
        tool: ToolMetaSchema.optional(),
        report: ReportMetaSchema.optional(),
      })
      .loose()
      .optional(),
    payload: GrypeDocumentSchema.optional().describe('The Grype scan result.'),
  })
  .loose();
export type VulnerabilityManifestSpec = z.infer<typeof VulnerabilityManifestSpecSchema>;

// ---------------------------------------------------------------------------------------------
// VulnerabilityManifestSummary / VulnerabilitySummary

export const VulnerabilityManifestSummarySpecSchema = z
  .object({
    severities: SeveritySummarySchema.default({}).describe('Match counts per severity.'),
    vulnerabilitiesRef: z
      .object({
        all: VulnerabilitiesObjScopeSchema.optional().describe('The image VulnerabilityManifest.'),
        relevant: VulnerabilitiesObjScopeSchema.optional().describe('The filtered VulnerabilityManifest.'),
      })
      .loose()
      .default({}),
  })
  .loose();
export type VulnerabilityManifestSummarySpec = z.infer<typeof VulnerabilityManifestSummarySpecSchema>;

export const VulnerabilitySummarySpecSchema = z
  .object({
    severities: SeveritySummarySchema.default({}).describe(
      "Sum of the namespace's VulnerabilityManifestSummaries.",
    ),
    vulnerabilitiesRef: list(VulnerabilitiesObjScopeSchema).describe('The summaries that were summed.'),
  })
  .loose();
export type VulnerabilitySummarySpec = z.infer<typeof VulnerabilitySummarySpecSchema>;

// ---------------------------------------------------------------------------------------------
// WorkloadConfigurationScan(Summary) / ConfigurationScanSummary

export const ControlSeveritySchema = z
  .object({ severity: str(), scoreFactor: z.number().optional() })
  .loose();
export const ControlStatusSchema = z
  .object({
    status: str().describe('passed, failed, skipped, irrelevant or error.'),
    subStatus: str(),
    info: str(),
  })
  .loose();

export const ScannedControlRuleSchema = z
  .object({
    name: str(),
    status: z.object({ status: str(), subStatus: str() }).loose().optional(),
    controlConfigurations: z.record(z.string(), z.unknown()).nullish(),
    paths: list(
      z.object({ failedPath: str(), fixPath: str(), fixPathValue: str(), fixCommand: str() }).loose(),
    ),
    appliedIgnoreRules: list(z.string()),
    relatedResourcesIDs: list(z.string()),
  })
  .loose();

export const ScannedControlSchema = z
  .object({
    controlID: z.string().describe('Control ID, e.g. C-0017.'),
    name: str(),
    severity: ControlSeveritySchema.optional(),
    status: ControlStatusSchema.optional(),
    rules: list(ScannedControlRuleSchema),
  })
  .loose();
export type ScannedControl = z.infer<typeof ScannedControlSchema>;

export const RelatedObjectSchema = z
  .object({ namespace: str(), apiGroup: str(), apiVersion: str(), kind: str(), name: str() })
  .loose();

export const WorkloadConfigurationScanSpecSchema = z
  .object({
    controls: z
      .record(z.string(), ScannedControlSchema)
      .default({})
      .describe('Scanned controls keyed by control ID.'),
    relatedObjects: list(RelatedObjectSchema).describe('For RBAC triplets: subject, role and binding.'),
  })
  .loose();
export type WorkloadConfigurationScanSpec = z.infer<typeof WorkloadConfigurationScanSpecSchema>;

export const ScannedControlSummarySchema = z
  .object({
    controlID: z.string(),
    severity: ControlSeveritySchema.optional(),
    status: ControlStatusSchema.optional(),
  })
  .loose();

export const WorkloadConfigurationScanSummarySpecSchema = z
  .object({
    severities: ControlSeveritiesSchema.default({
      critical: 0,
      high: 0,
      medium: 0,
      low: 0,
      unknown: 0,
    }).describe('Failed controls per severity.'),
    controls: z.record(z.string(), ScannedControlSummarySchema).default({}),
  })
  .loose();
export type WorkloadConfigurationScanSummarySpec = z.infer<typeof WorkloadConfigurationScanSummarySpecSchema>;

export const ConfigurationScanSummarySpecSchema = z
  .object({
    severities: ControlSeveritiesSchema.default({
      critical: 0,
      high: 0,
      medium: 0,
      low: 0,
      unknown: 0,
    }).describe('Failed controls per severity, summed over the namespace.'),
    summaryRef: list(z.object({ namespace: str(), kind: str(), name: str() }).loose()),
  })
  .loose();
export type ConfigurationScanSummarySpec = z.infer<typeof ConfigurationScanSummarySpecSchema>;

// ---------------------------------------------------------------------------------------------
// SPDX 2.3 (vendored spdx/tools-golang v2.3 JSON shape)

const ChecksumSchema = z.object({ algorithm: str(), checksumValue: str() }).loose();
const SpdxAnnotationSchema = z
  .object({ annotator: str(), annotationDate: str(), annotationType: str(), comment: str() })
  .loose();

export const SpdxPackageSchema = z
  .object({
    name: z.string(),
    SPDXID: str(),
    versionInfo: str(),
    packageFileName: str(),
    supplier: z.string().nullish(),
    originator: z.string().nullish(),
    downloadLocation: str(),
    filesAnalyzed: bool(),
    packageVerificationCode: z
      .object({ packageVerificationCodeValue: str(), packageVerificationCodeExcludedFiles: list(z.string()) })
      .loose()
      .nullish(),
    checksums: list(ChecksumSchema),
    homepage: str(),
    sourceInfo: str(),
    licenseConcluded: str(),
    licenseInfoFromFiles: list(z.string()),
    licenseDeclared: str(),
    licenseComments: str(),
    copyrightText: str(),
    summary: str(),
    description: str(),
    comment: str(),
    externalRefs: list(
      z
        .object({ referenceCategory: str(), referenceType: str(), referenceLocator: str(), comment: str() })
        .loose(),
    ),
    attributionTexts: list(z.string()),
    primaryPackagePurpose: str(),
    releaseDate: str(),
    builtDate: str(),
    validUntilDate: str(),
    files: list(z.unknown()),
    annotations: list(SpdxAnnotationSchema),
    hasFiles: list(z.string()),
  })
  .loose();
export type SpdxPackage = z.infer<typeof SpdxPackageSchema>;

export const SpdxFileSchema = z
  .object({
    fileName: z.string(),
    SPDXID: str(),
    fileTypes: list(z.string()),
    checksums: list(ChecksumSchema),
    licenseConcluded: str(),
    licenseInfoInFiles: list(z.string()),
    licenseComments: str(),
    copyrightText: str(),
    artifactOfs: list(z.unknown()),
    comment: str(),
    noticeText: str(),
    fileContributors: list(z.string()),
    attributionTexts: list(z.string()),
    fileDependencies: list(z.string()),
    annotations: list(SpdxAnnotationSchema),
  })
  .loose();

export const SpdxRelationshipSchema = z
  .object({ spdxElementId: str(), relatedSpdxElement: str(), relationshipType: str(), comment: str() })
  .loose();

export const SpdxDocumentSchema = z
  .object({
    spdxVersion: str().describe('SPDX-2.3'),
    dataLicense: str(),
    SPDXID: str(),
    name: str(),
    documentNamespace: str(),
    documentDescribes: list(z.string()),
    externalDocumentRefs: list(
      z
        .object({ externalDocumentId: str(), spdxDocument: str(), checksum: ChecksumSchema.optional() })
        .loose(),
    ),
    comment: str(),
    creationInfo: z
      .object({
        licenseListVersion: str(),
        creators: list(z.string()).describe('"Tool: syft-1.0" / "Organization: x" strings.'),
        created: str(),
        comment: str(),
      })
      .loose()
      .nullish(),
    packages: list(SpdxPackageSchema),
    files: list(SpdxFileSchema),
    hasExtractedLicensingInfos: list(
      z
        .object({
          licenseId: str(),
          extractedText: str(),
          name: str(),
          seeAlsos: list(z.string()),
          comment: str(),
        })
        .loose(),
    ),
    relationships: list(SpdxRelationshipSchema),
    annotations: list(SpdxAnnotationSchema),
    snippets: list(z.record(z.string(), z.unknown())),
  })
  .loose();
export type SpdxDocument = z.infer<typeof SpdxDocumentSchema>;

export const SPDXMetaSchema = z
  .object({ tool: ToolMetaSchema.optional(), report: ReportMetaSchema.optional() })
  .loose()
  .describe('Who produced the SBOM, and when.');

export const SBOMSPDXv2p3SpecSchema = z
  .object({
    metadata: SPDXMetaSchema.default({}),
    spdx: SpdxDocumentSchema.optional().describe('The SPDX 2.3 document.'),
  })
  .loose();
export type SBOMSPDXv2p3Spec = z.infer<typeof SBOMSPDXv2p3SpecSchema>;

/**
 * SBOMSummary: Kubescape's spec was empty on purpose. Ours is a virtual 1:1 view of each
 * SBOMSPDXv2p3 and carries the few numbers its summary already holds (all optional, so an
 * empty spec is still valid).
 */
export const SBOMSummarySpecSchema = z
  .object({
    metadata: SPDXMetaSchema.optional(),
    packages: count().optional().describe('Number of packages in the SBOM.'),
    files: count().optional().describe('Number of files in the SBOM.'),
    image: str().describe('Image ID the SBOM describes.'),
  })
  .loose();
export type SBOMSummarySpec = z.infer<typeof SBOMSummarySpecSchema>;

/** Status of every kind is an empty struct in Kubescape; kept open for future use. */
export const EmptyStatusSchema = z.object({}).loose();

// ---------------------------------------------------------------------------------------------
// Objects

export const ObjectMetaSchema = z
  .object({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .loose();

/** Typed shape of a whole result object, for the functions that write them. */
// A type alias, not an interface: aliases are assignable to index-signature types like KubeObject.
export type ResultObject<Spec> = {
  apiVersion: string;
  kind: string;
  metadata: z.infer<typeof ObjectMetaSchema> & Record<string, unknown>;
  spec: Spec;
  status?: Record<string, unknown>;
};

export type VulnerabilityManifest = ResultObject<VulnerabilityManifestSpec>;
export type VulnerabilityManifestSummary = ResultObject<VulnerabilityManifestSummarySpec>;
export type VulnerabilitySummary = ResultObject<VulnerabilitySummarySpec>;
export type WorkloadConfigurationScan = ResultObject<WorkloadConfigurationScanSpec>;
export type WorkloadConfigurationScanSummary = ResultObject<WorkloadConfigurationScanSummarySpec>;
export type ConfigurationScanSummary = ResultObject<ConfigurationScanSummarySpec>;
export type SBOMSPDXv2p3 = ResultObject<SBOMSPDXv2p3Spec>;
export type SBOMSPDXv2p3Filtered = ResultObject<SBOMSPDXv2p3Spec>;
export type SBOMSummary = ResultObject<SBOMSummarySpec>;

/** spec schema and whether `spec` is required (Go `json:"spec"` without omitempty), per kind. */
export const SPEC_SCHEMAS = {
  ConfigurationScanSummary: { spec: ConfigurationScanSummarySpecSchema, specRequired: true, status: false },
  SBOMSPDXv2p3: { spec: SBOMSPDXv2p3SpecSchema, specRequired: false, status: true },
  SBOMSPDXv2p3Filtered: { spec: SBOMSPDXv2p3SpecSchema, specRequired: false, status: true },
  SBOMSummary: { spec: SBOMSummarySpecSchema, specRequired: false, status: true },
  VulnerabilityManifest: { spec: VulnerabilityManifestSpecSchema, specRequired: false, status: true },
  VulnerabilityManifestSummary: {
    spec: VulnerabilityManifestSummarySpecSchema,
    specRequired: false,
    status: true,
  },
  VulnerabilitySummary: { spec: VulnerabilitySummarySpecSchema, specRequired: false, status: true },
  WorkloadConfigurationScan: { spec: WorkloadConfigurationScanSpecSchema, specRequired: true, status: false },
  WorkloadConfigurationScanSummary: {
    spec: WorkloadConfigurationScanSummarySpecSchema,
    specRequired: true,
    status: false,
  },
} as const;
