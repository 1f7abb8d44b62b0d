/**
 * The SBOMSPDXv2p3 Kubernetes object kubevuln writes (reference operator.md §2.3): named by the
 * image slug, annotated with image-id/image-tag/status (+ resource size, tool version), labelled
 * with the sanitised image tag/id. Non-ready statuses (too-large, incomplete, unauthorize) carry no
 * document: they are markers so the same image is not retried on every event.
 */
import { ANNOTATIONS, API_VERSION, LABELS, STATUS, type StatusValue } from '../../../lib/api/constants.js';
import { imageLabelValue, imageSlug } from '../../../lib/api/names.js';
import type { SBOMSPDXv2p3, SpdxDocument } from '../../../lib/api/schemas.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import type { SpdxJson } from './spdx.js';

export interface SbomObjectOptions {
  namespace?: string;
  /** Why a non-ready status happened, kept in kubescape.io/status-reason. */
  reason?: string;
  createdAt?: Date;
  platform?: string;
}

export function buildSbomObject(image: string, digest: string, sbom: SpdxJson | undefined, status: StatusValue, opts: SbomObjectOptions = {}): SBOMSPDXv2p3 {
  const annotations: Record<string, string> = {
    [ANNOTATIONS.imageId]: digest,
    [ANNOTATIONS.imageTag]: image,
    [ANNOTATIONS.status]: status,
    [ANNOTATIONS.toolVersion]: `${TOOL_NAME}-${TOOL_VERSION}`,
  };
  if (opts.reason) annotations[ANNOTATIONS.statusReason] = opts.reason.slice(0, 1024);
  if (opts.platform) annotations[ANNOTATIONS.resolvedPlatform] = opts.platform;
  const withDoc = status === STATUS.ready && sbom !== undefined;
  if (withDoc) annotations[ANNOTATIONS.resourceSize] = String(Buffer.byteLength(JSON.stringify(sbom)));
  const labels: Record<string, string> = {};
  const tagLabel = imageLabelValue(image);
  if (tagLabel) labels[LABELS.imageTag] = tagLabel;
  const idLabel = imageLabelValue(digest);
  if (idLabel) labels[LABELS.imageId] = idLabel;
  return {
    apiVersion: API_VERSION,
    kind: 'SBOMSPDXv2p3',
    metadata: { name: imageSlug(image, digest), namespace: opts.namespace ?? 'kubescape', labels, annotations },
    spec: {
      metadata: {
        tool: { name: TOOL_NAME, version: TOOL_VERSION },
        report: { createdAt: (opts.createdAt ?? new Date()).toISOString() },
      },
      spdx: withDoc ? (sbom as unknown as SpdxDocument) : undefined,
    },
  };
}
