import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.10: kubelet `--rotate-certificates` / `rotateCertificates` is not false. */
export default kubeletSettingControl('C-0182', {
  flag: 'rotate-certificates',
  config: ['rotateCertificates'],
  bad: (v) => v.toLowerCase() === 'false',
  fixValue: 'true',
  unsetBad: false,
});
