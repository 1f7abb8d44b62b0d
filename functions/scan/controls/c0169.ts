import { fileOwnershipControl, kubeletFile } from './_hostfacts.js';

/** CIS 4.1.8: the kubelet client CA file is owned by root:root. */
export default fileOwnershipControl(
  'C-0169',
  'node',
  kubeletFile((k) => k.clientCAFile, 'kubelet.clientCAFile'),
);
