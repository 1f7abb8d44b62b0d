import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.13: a pod PID limit is set: `--pod-max-pids` / `podPidsLimit` positive (unset or -1 is unlimited). */
export default kubeletSettingControl('C-0284', {
  flag: 'pod-max-pids',
  config: ['podPidsLimit'],
  bad: (v) => !(Number(v) > 0),
  fixValue: '4096',
  unsetBad: true,
});
