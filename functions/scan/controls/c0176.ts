import { kubeletSettingControl } from './_hostfacts.js';

/** CIS 4.2.5: kubelet `--streaming-connection-idle-timeout` / `streamingConnectionIdleTimeout` is not 0. */
export default kubeletSettingControl('C-0176', {
  flag: 'streaming-connection-idle-timeout',
  config: ['streamingConnectionIdleTimeout'],
  bad: (v) => /^0+(\.0+)?([a-zµ]+)?$/.test(v.trim()),
  fixValue: '5m',
  unsetBad: false,
});
