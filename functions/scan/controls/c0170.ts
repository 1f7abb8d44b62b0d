import { filePermissionControl, kubeletFile } from './_hostfacts.js';

/** CIS 4.1.9: the kubelet config file (`--config`, config.yaml) is mode 600 or stricter. */
export default filePermissionControl(
  'C-0170',
  'node',
  kubeletFile((k) => k.configFile, 'kubelet.configFile'),
  0o600,
);
