import { kubeletSettingControl } from './_hostfacts.js';

/** kubelet `--protect-kernel-defaults=true` / `protectKernelDefaults: true` (default false). */
export default kubeletSettingControl('C-0177', {
  flag: 'protect-kernel-defaults',
  config: ['protectKernelDefaults'],
  bad: (v) => v.toLowerCase() !== 'true',
  fixValue: 'true',
  unsetBad: true,
});
