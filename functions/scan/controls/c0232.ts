import { defineControl } from '../engine/control.js';
import { ALERT, objectRule } from './_lib.js';
import { onProvider } from './_provider.js';

/** CIS EKS 4.1.x: with the AWS IAM Authenticator, every Role is listed for review. */
export default defineControl({
  id: 'C-0232',
  category: 'Access control',
  rules: [
    onProvider(
      'eks',
      objectRule('review-roles-with-aws-iam-authenticator', ['Role'], () => [ALERT]),
    ),
  ],
});
