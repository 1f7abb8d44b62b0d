import { defineControl } from '../engine/control.js';
import { ALERT, objectRule } from './_lib.js';

/** CIS EKS 4.1.x: with the AWS IAM Authenticator, every Role is listed for review. */
export default defineControl({
  id: 'C-0232',
  category: 'Access control',
  rules: [objectRule('review-roles-with-aws-iam-authenticator', ['Role'], () => [ALERT])],
});
