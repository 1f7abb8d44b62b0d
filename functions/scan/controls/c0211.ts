import { defineControl } from '../engine/control.js';
import {
  allowPrivilegeEscalationRule,
  dropNetRawRule,
  fsGroupChangePolicyRule,
  fsGroupRule,
  gmsaRule,
  hostProcessRule,
  immutableFilesystemRule,
  nonRootRule,
  privilegedContainerRule,
  procMountRule,
  runAsUserNameRule,
  seccompProfileRule,
  seLinuxRule,
  supplementalGroupsRule,
  sysctlsRule,
} from './_securitycontext.js';

/**
 * Apply Security Context to Your Pods and Containers: the 15 rules of regolibrary, in its order
 * (the PSP/ControlPlaneInfo inputs only narrow rules; see procMountRule).
 */
export default defineControl({
  id: 'C-0211',
  category: 'Workload',
  rules: [
    privilegedContainerRule,
    immutableFilesystemRule,
    nonRootRule,
    dropNetRawRule,
    seLinuxRule,
    seccompProfileRule,
    procMountRule,
    fsGroupRule,
    fsGroupChangePolicyRule,
    sysctlsRule,
    supplementalGroupsRule,
    allowPrivilegeEscalationRule,
    gmsaRule,
    hostProcessRule,
    runAsUserNameRule,
  ],
});
