/** CycloneDX 1.5 JSON writer (the same packages as the SPDX document, for tools that want CDX). */
import { randomUUID } from 'node:crypto';
import type { Package } from '../catalog/types.js';
import { isKnownSpdxId } from './licenses.js';

export interface CycloneDxJson {
  bomFormat: 'CycloneDX';
  specVersion: '1.5';
  serialNumber: string;
  version: 1;
  metadata: Record<string, unknown>;
  components: Record<string, unknown>[];
}

const CDX_TYPE: Record<string, string> = { deb: 'library', apk: 'library', rpm: 'library' };

export function toCycloneDx(input: { image: string; digest: string; packages: readonly Package[]; toolVersion: string; created?: Date }): CycloneDxJson {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: (input.created ?? new Date()).toISOString(),
      tools: { components: [{ type: 'application', author: 'kscape', name: 'kscape', version: input.toolVersion }] },
      component: { 'bom-ref': 'image', type: 'container', name: input.image, version: input.digest },
    },
    components: input.packages.map((p, i) => {
      const c: Record<string, unknown> = {
        'bom-ref': `${p.purl}#${i}`,
        type: CDX_TYPE[p.type] ?? 'library',
        name: p.name,
        version: p.version,
        purl: p.purl,
      };
      if (p.licenses.length) c.licenses = p.licenses.map((l) => (isKnownSpdxId(l) ? { license: { id: l } } : { license: { name: l } }));
      if (p.supplier) c.publisher = p.supplier;
      const props = [
        { name: 'syft:package:foundBy', value: p.foundBy },
        { name: 'syft:package:type', value: p.type },
        ...p.locations.map((l, j) => ({ name: `syft:location:${j}:path`, value: l.path })),
        ...p.locations.filter((l) => l.layerDigest).map((l, j) => ({ name: `syft:location:${j}:layerID`, value: l.layerDigest! })),
      ];
      if (p.sourceName) props.push({ name: 'syft:metadata:source', value: p.sourceName });
      c.properties = props;
      return c;
    }),
  };
}
