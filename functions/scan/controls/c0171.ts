import { fileOwnershipControl, kubeletFile } from './_hostfacts.js';

/** CIS 4.1.10: the kubelet config file (config.yaml) is owned by root:root. */
export default fileOwnershipControl(
  'C-0171',
  'node',
  kubeletFile((k) => k.configFile, 'kubelet.configFile'),
);
