import { at } from '../engine/paths.js';
import { defineControl } from '../engine/control.js';
import type { Finding } from '../engine/types.js';
import { volumesOf } from '../engine/workload.js';
import { remove, workloadRule } from './_lib.js';

const RUNTIME_SOCKETS = new Set([
  '/var/run/docker.sock',
  '/var/run/docker',
  '/run/containerd/containerd.sock',
  '/var/run/crio/crio.sock',
]);

/** Container runtime socket mounted: a hostPath volume on a container runtime socket. */
export default defineControl({
  id: 'C-0074',
  category: 'Node escape',
  rules: [
    workloadRule('containers-mounting-docker-socket', (wl) => {
      const out: Finding[] = [];
      for (const v of volumesOf(wl)) {
        const p = v.volume.hostPath?.path;
        if (typeof p !== 'string') continue;
        const normalized = p.length > 1 ? p.replace(/\/+$/, '') : p;
        if (RUNTIME_SOCKETS.has(normalized)) out.push(remove(at(v.path, '.hostPath.path')));
      }
      return out;
    }),
  ],
});
