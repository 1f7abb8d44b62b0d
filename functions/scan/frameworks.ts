/**
 * Framework membership, verbatim from regolibrary `frameworks/*.json` (shared/reference/controls.md
 * §1). Lists include controls this engine does not implement yet: those are reported as skipped
 * (subStatus `notEvaluated`, info "not implemented") and never silently dropped.
 *
 * Name matching is case-insensitive, as in `kubescape scan framework nsa`.
 */

function ids(spec: string): string[] {
  // Compact notation: "0002 0005 0092-0094" → C-0002, C-0005, C-0092, C-0093, C-0094.
  const out: string[] = [];
  for (const tok of spec.trim().split(/\s+/)) {
    const [a, b] = tok.split('-');
    const from = Number(a);
    const to = b === undefined ? from : Number(b);
    for (let n = from; n <= to; n++) out.push(`C-${String(n).padStart(4, '0')}`);
  }
  return out;
}

export interface FrameworkDefinition {
  readonly name: string;
  readonly description: string;
  /** `compliance` or `security` (regolibrary typeTags; decides the release file it is exported to). */
  readonly typeTag: 'compliance' | 'security';
  readonly controlIDs: readonly string[];
}

const ALL_CONTROLS_GAPS = new Set(
  ids(
    '0003 0006 0008 0010 0011 0019 0022-0025 0027-0029 0032 0033 0040 0043 0047 0051 0060 0064 0071 0072 0080 0082 0086 0224',
  ),
);

const CIS_V1_10 = ids(
  '0041 0092-0114 0116-0123 0125-0127 0129-0142 0144-0176 0178-0193 0197-0212 0246 0275-0284 0286-0289',
);

export const FRAMEWORKS: readonly FrameworkDefinition[] = [
  {
    name: 'NSA',
    description: 'Implement NSA security advices for K8s',
    typeTag: 'compliance',
    controlIDs: ids(
      '0002 0005 0012 0013 0016 0017 0030 0034 0035 0038 0041 0044 0046 0054 0055 0057 0058 0059 0066 0067 0068 0069 0070 0270 0271 0292',
    ),
  },
  {
    name: 'MITRE',
    description: 'Testing MITRE for Kubernetes as suggested by microsoft',
    typeTag: 'compliance',
    controlIDs: ids(
      '0002 0007 0012 0014 0015 0020 0021 0026 0031 0035 0036 0037 0039 0042 0045 0048 0052 0053 0054 0057 0058 0059 0066 0067 0068 0069 0070',
    ),
  },
  {
    name: 'AllControls',
    description: 'Contains all the controls from all the frameworks',
    typeTag: 'compliance',
    controlIDs: ids('0001-0308').filter((id) => !ALL_CONTROLS_GAPS.has(id)),
  },
  {
    name: 'ArmoBest',
    description: 'Armo best practices',
    typeTag: 'compliance',
    controlIDs: ids(
      '0002 0005 0012 0013 0016 0017 0030 0034 0035 0038 0041 0044 0046 0049 0054 0055 0057 0058 0059 0061 0062 0063 0065 0066 0067 0068 0069 0070 0078 0079 0081 0087 0089 0091 0236 0237 0270 0271 0292 0306',
    ),
  },
  {
    name: 'DevOpsBest',
    description: 'Best practices for DevOps',
    typeTag: 'compliance',
    controlIDs: ids(
      '0018 0044 0056 0061 0073 0074 0075 0076 0077 0253 0268 0269 0270 0271 0292 0293 0294 0295 0296 0298 0299 0300 0302 0305 0307',
    ),
  },
  {
    name: 'SOC2',
    description: 'SOC2 compliance related controls',
    typeTag: 'compliance',
    controlIDs: ids('0260 0012 0186 0035 0067 0263 0264'),
  },
  {
    name: 'security',
    description: 'Controls that are used to assess security threats',
    typeTag: 'security',
    controlIDs: ids(
      '0005 0012 0013 0016 0017 0034 0035 0038 0041 0044 0045 0046 0048 0057 0066 0069 0070 0074 0211 0255 0256 0257 0258 0259 0260 0261 0262 0264 0265 0267 0270 0271 0272 0273 0266 0274 0292',
    ),
  },
  {
    name: 'WorkloadScan',
    description: 'Framework for scanning a workload',
    typeTag: 'security',
    controlIDs: ids(
      '0078 0045 0048 0257 0207 0034 0012 0041 0260 0044 0038 0046 0013 0016 0017 0055 0057 0270 0271',
    ),
  },
  {
    name: 'ClusterScan',
    description: 'Framework for scanning a cluster',
    typeTag: 'security',
    controlIDs: ids(
      '0066 0088 0067 0005 0262 0265 0015 0002 0007 0063 0036 0039 0035 0188 0187 0012 0260 0256 0038 0041 0048 0057 0013',
    ),
  },
  {
    name: 'cis-v1.10.0',
    description:
      'Testing CIS for Kubernetes as suggested by CIS in https://workbench.cisecurity.org/benchmarks/17568',
    typeTag: 'compliance',
    controlIDs: CIS_V1_10,
  },
  {
    name: 'cis-v1.12.0',
    description: 'Testing CIS for Kubernetes as suggested by CIS benchmark v1.12.0',
    typeTag: 'compliance',
    controlIDs: [...CIS_V1_10, ...ids('0290 0291')],
  },
];

const BY_NAME = new Map(FRAMEWORKS.map((f) => [f.name.toLowerCase(), f]));

export class UnknownFrameworkError extends Error {
  override name = 'UnknownFrameworkError';
}

export function frameworkNames(): string[] {
  return FRAMEWORKS.map((f) => f.name);
}

/** Resolve a framework by name, case-insensitively; throws listing the valid names. */
export function getFramework(name: string): FrameworkDefinition {
  const f = BY_NAME.get(name.trim().toLowerCase());
  if (!f) {
    throw new UnknownFrameworkError(
      `unknown framework "${name}"; valid frameworks: ${frameworkNames().join(', ')}`,
    );
  }
  return f;
}

const MEMBERSHIP = new Map<string, string[]>();
for (const f of FRAMEWORKS) {
  for (const id of f.controlIDs) {
    const list = MEMBERSHIP.get(id);
    if (list) list.push(f.name);
    else MEMBERSHIP.set(id, [f.name]);
  }
}

/** Names of the frameworks containing a control. */
export function frameworksOfControl(controlID: string): readonly string[] {
  return MEMBERSHIP.get(controlID) ?? [];
}
