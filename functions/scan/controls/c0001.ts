import { defineControl } from '../engine/control.js';
import { imageRule, startsWithAny } from './_images.js';

/** Forbidden Container Registries: images from untrustedRegistries or publicRegistries (needs configuration). */
export default defineControl({
  id: 'C-0001',
  category: 'Supply chain',
  actionRequired: 'configuration',
  rules: [
    imageRule(
      'rule-identify-blocklisted-image-registries',
      (img, raw, ctx) =>
        startsWithAny(img, raw, ctx.inputs.untrustedRegistries ?? []) ||
        startsWithAny(img, raw, ctx.inputs.publicRegistries ?? []),
      { inputs: ['untrustedRegistries', 'publicRegistries'] },
    ),
  ],
});
