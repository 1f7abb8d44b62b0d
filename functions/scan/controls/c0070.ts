import { kubeletSettingControl } from './_hostfacts.js';

/** Kubelet client TLS authentication: `--client-ca-file` or `authentication.x509.clientCAFile` set. */
export default kubeletSettingControl('C-0070', {
  flag: 'client-ca-file',
  config: ['authentication', 'x509', 'clientCAFile'],
  bad: (v) => v.trim() === '',
  fixValue: 'YOUR_VALUE',
  unsetBad: true,
});
