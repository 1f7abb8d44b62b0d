import { componentFlagControl } from './_hostfacts.js';
import { flagNot } from './_flags.js';

/** CIS 1.2.19: kube-apiserver `--request-timeout`, when set, is a positive duration (unset = the 60s default, compliant). */
export default componentFlagControl(
  'C-0134',
  'apiServer',
  flagNot(
    'request-timeout',
    (v) => !/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(v) || /^0+(\.0+)?[a-zµ]+$/.test(v),
    '60s',
  ),
);
