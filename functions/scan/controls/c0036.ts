import { defineControl } from '../engine/control.js';
import { listWebhooksRule } from './_webhooks.js';

/** Validate admission controller (validating): every ValidatingWebhookConfiguration is listed. */
export default defineControl({
  id: 'C-0036',
  category: 'Access control',
  rules: [listWebhooksRule('list-all-validating-webhooks', 'ValidatingWebhookConfiguration')],
});
