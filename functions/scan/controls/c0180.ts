import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.8: kubelet event recording is not unlimited: `--event-qps` / `eventRecordQPS` is not 0 (regolibrary alerts on 0). */
export default kubeletSettingControl('C-0180', {
  flag: 'event-qps',
  config: ['eventRecordQPS'],
  bad: (v) => !(Number(v) > 0),
  fixValue: '5',
  unsetBad: false,
});
