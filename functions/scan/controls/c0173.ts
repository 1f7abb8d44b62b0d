import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.2: kubelet authorization mode is not AlwaysAllow (the flag default is AlwaysAllow, the config-file default Webhook). */
export default kubeletSettingControl('C-0173', {
  flag: 'authorization-mode',
  config: ['authorization', 'mode'],
  bad: (v) => v.split(',').some((m) => m.trim() === 'AlwaysAllow'),
  fixValue: 'Webhook',
  unsetBad: (usesConfig) => !usesConfig,
});
