import { kubeletSettingControl } from './_hostfacts.js';

/** Kubelet anonymous access disabled: `--anonymous-auth=false` or `authentication.anonymous.enabled: false` (the kubelet default is true). */
export default kubeletSettingControl('C-0069', {
  flag: 'anonymous-auth',
  config: ['authentication', 'anonymous', 'enabled'],
  bad: (v) => v.toLowerCase() !== 'false',
  fixValue: 'false',
  unsetBad: true,
});
