import { defineControl } from '../engine/control.js';
import { imageRule, startsWithAny } from './_images.js';

/** Images not pinned to digest (@sha256/@sha512/...), unless the repository is exempted. */
export default defineControl({
  id: 'C-0306',
  category: 'Supply chain',
  actionRequired: 'configuration',
  rules: [
    imageRule(
      'image-not-pinned-to-digest',
      (img, raw, ctx) =>
        !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/.test(img.digest ?? '') &&
        !startsWithAny(img, raw, ctx.inputs.imageDigestExemptRepositories ?? []),
      { inputs: ['imageDigestExemptRepositories'] },
    ),
  ],
});
