import { defineControl } from '../engine/control.js';
import { arr, get } from '../engine/objects.js';
import { fix, objectRule } from './_lib.js';

/** Ingress uses TLS: an Ingress without spec.tls (fixPath spec.tls). */
export default defineControl({
  id: 'C-0263',
  category: 'Network',
  rules: [
    objectRule('ingress-no-tls', ['Ingress'], (ing) =>
      arr(get(ing, 'spec', 'tls')).length > 0 ? [] : [fix('spec.tls', 'YOUR_VALUE')],
    ),
  ],
});
