import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.1: kubelet `--anonymous-auth=false` / `authentication.anonymous.enabled: false`. */
export default kubeletSettingControl('C-0172', {
  flag: 'anonymous-auth',
  config: ['authentication', 'anonymous', 'enabled'],
  bad: (v) => v.toLowerCase() !== 'false',
  fixValue: 'false',
  unsetBad: true,
});
