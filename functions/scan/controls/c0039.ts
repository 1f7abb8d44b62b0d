import { defineControl } from '../engine/control.js';
import { listWebhooksRule } from './_webhooks.js';

/** Validate admission controller (mutating): every MutatingWebhookConfiguration is listed. */
export default defineControl({
  id: 'C-0039',
  category: 'Access control',
  rules: [listWebhooksRule('list-all-mutating-webhooks', 'MutatingWebhookConfiguration')],
});
