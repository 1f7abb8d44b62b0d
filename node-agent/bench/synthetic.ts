/**
 * A synthetic node for the memory benchmark: the control-plane fixture host plus a procfs of
 * N containers × P processes, each with an executable, ~120 mapped libraries (two mapping lines
 * each, as ld.so produces) drawn partly from a pool shared across images and partly image-specific,
 * and 40 fds (files, sockets, pipes). Written to disk so the measurement runs in a fresh process.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { buildFixtureHost, writeProcfs, type FixtureProcess } from '../__fixtures__/hosts.js';
import type { ContainerIdentity } from '../relevancy/pods.js';

const LIBS_PER_PROCESS = 120;
const FDS_PER_PROCESS = 40;

export async function buildSyntheticNode(
  dir: string,
  containers: number,
  perContainer: number,
): Promise<{ root: string; proc: string; identities: string }> {
  const host = await buildFixtureHost('control-plane', dir);
  const procs: FixtureProcess[] = [];
  const identities: ContainerIdentity[] = [];
  let pid = 10_000;
  for (let c = 0; c < containers; c++) {
    const id = c.toString(16).padStart(64, '0');
    identities.push({
      namespace: 'bench',
      pod: `pod-${c}`,
      container: 'app',
      containerID: `containerd://${id}`,
      containerType: 'containers',
      imageDigest: `sha256:${'a'.repeat(64)}`,
    });
    for (let p = 0; p < perContainer; p++) {
      const maps: string[] = [];
      for (let l = 0; l < LIBS_PER_PROCESS; l++) {
        const lib =
          l % 3 === 0
            ? `/app/img${c}/lib/mod${l}.so`
            : `/usr/lib/x86_64-linux-gnu/lib${(l * 7 + c) % 400}.so.1`;
        const a = (0x7f0000000000 + l * 0x100000).toString(16);
        maps.push(
          `${a}-${a} r--p 00000000 fd:01 ${1000 + l} ${lib}`,
          `${a}-${a} r-xp 00001000 fd:01 ${1000 + l} ${lib}`,
        );
      }
      maps.push('7ffd6b5e0000-7ffd6b601000 rw-p 00000000 00:00 0 [stack]');
      const fds: Record<string, string> = { '0': '/dev/null', '1': 'pipe:[1]', '2': 'pipe:[2]' };
      for (let f = 3; f < FDS_PER_PROCESS; f++)
        fds[String(f)] = f % 4 === 0 ? `socket:[${pid * 100 + f}]` : `/app/img${c}/data/file-${p}-${f}.dat`;
      procs.push({
        pid: pid++,
        argv: [`/app/img${c}/bin/server`, '--worker', String(p)],
        cgroup: `0::/kubepods.slice/kubepods-besteffort.slice/cri-containerd-${id}.scope\n`,
        exe: `/app/img${c}/bin/server`,
        maps: maps.join('\n') + '\n',
        fds,
      });
    }
  }
  // The fixture's host processes (kubelet, apiserver ...) plus the containers' processes.
  await writeProcfs(host.proc, procs);
  const identitiesFile = path.join(dir, 'identities.json');
  await fs.writeFile(identitiesFile, JSON.stringify(identities));
  return { root: host.root, proc: host.proc, identities: identitiesFile };
}
