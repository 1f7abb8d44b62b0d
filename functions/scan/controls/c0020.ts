import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import { get, str } from '../engine/objects.js';
import type { Finding } from '../engine/types.js';
import { volumesOf } from '../engine/workload.js';
import { review, workloadRule } from './_lib.js';
import { cloudProviderOf, type CloudProvider } from './_provider.js';

/** Where each provider's node credentials live (regolibrary alert-mount-potential-credentials-paths). */
const CREDENTIAL_PATHS: Record<CloudProvider, readonly string[]> = {
  eks: ['/.aws/config', '/.aws/credentials', '/.aws'],
  aks: ['/etc/kubernetes/azure.json', '/.azure/azureProfile.json', '/.azure/accessTokens.json', '/.azure'],
  gke: [
    '/.config/gcloud/',
    '/.config/',
    '/gcloud/',
    '/.config/gcloud/application_default_credentials.json',
    '/gcloud/application_default_credentials.json',
  ],
};

function isCredentialPath(path: string, provider: CloudProvider): boolean {
  const p = path.endsWith('/') ? path : `${path}/`;
  return CREDENTIAL_PATHS[provider].some((c) => p.includes(c.endsWith('/') ? c : `${c}/`));
}

/** Mount service principal: a hostPath volume exposes the node's cloud credentials to the pod. */
export default defineControl({
  id: 'C-0020',
  category: 'Access control',
  rules: [
    {
      ...workloadRule('alert-mount-potential-credentials-paths', (wl, ctx) => {
        const provider = cloudProviderOf(ctx.index);
        if (!provider) return [];
        const out: Finding[] = [];
        for (const v of volumesOf(wl)) {
          const p = str(get(v.volume, 'hostPath', 'path'));
          if (p && isCredentialPath(p, provider)) out.push(review(at(v.path, '.hostPath.path')));
        }
        return out;
      }),
      relevant: (r, ctx) => r.workload !== undefined && cloudProviderOf(ctx.index) !== undefined,
    },
  ],
});
