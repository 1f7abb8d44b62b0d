import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.6: kubelet `--make-iptables-util-chains` / `makeIPTablesUtilChains` is not false (default true). */
export default kubeletSettingControl('C-0178', {
  flag: 'make-iptables-util-chains',
  config: ['makeIPTablesUtilChains'],
  bad: (v) => v.toLowerCase() === 'false',
  fixValue: 'true',
  unsetBad: false,
});
