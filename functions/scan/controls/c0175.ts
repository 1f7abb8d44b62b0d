import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.4: kubelet read-only port disabled: `--read-only-port=0` / `readOnlyPort: 0` (the flag default is 10255, the config-file default 0). */
export default kubeletSettingControl('C-0175', {
  flag: 'read-only-port',
  config: ['readOnlyPort'],
  bad: (v) => v.trim() !== '0',
  fixValue: '0',
  unsetBad: (usesConfig) => !usesConfig,
});
