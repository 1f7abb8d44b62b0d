import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.3: kubelet `--client-ca-file` / `authentication.x509.clientCAFile` set. */
export default kubeletSettingControl('C-0174', {
  flag: 'client-ca-file',
  config: ['authentication', 'x509', 'clientCAFile'],
  bad: (v) => v.trim() === '',
  fixValue: 'YOUR_VALUE',
  unsetBad: true,
});
