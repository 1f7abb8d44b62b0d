import { defineControl } from '../engine/control.js';
import { imageRule, startsWithAny } from './_images.js';

/**
 * Images from allowed registry: an image outside imageRepositoryAllowList. With the default empty
 * list the control is skipped/configuration (it needs the operator's allow-list).
 */
export default defineControl({
  id: 'C-0078',
  category: 'Supply chain',
  actionRequired: 'configuration',
  rules: [
    imageRule(
      'container-image-repository',
      (img, raw, ctx) => !startsWithAny(img, raw, ctx.inputs.imageRepositoryAllowList ?? []),
      { inputs: ['imageRepositoryAllowList'] },
    ),
  ],
});
