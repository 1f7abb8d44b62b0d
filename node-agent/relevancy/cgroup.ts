/**
 * Container identity from /proc/<pid>/cgroup.
 *
 * Line format (cgroups(7)): `hierarchy-ID:controller-list:cgroup-path`. cgroup v2 has one line
 * `0::/path`; v1 has one line per hierarchy (`4:memory:/path`); hybrid hosts have both. The path
 * names the container in a runtime-specific way:
 *
 *   containerd, systemd driver   …/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope
 *   containerd/CRI-O, cgroupfs   /kubepods/burstable/pod<uid>/<id>
 *   CRI-O, systemd driver        …/crio-<id>.scope            (crio-conmon-<id>.scope is conmon: not the container)
 *   Docker                       /docker/<id>   or   …/docker-<id>.scope
 *
 * With a private cgroup namespace (the default for the agent's own container on cgroup v2),
 * other processes' paths are shown relative to the agent's cgroup, e.g. `/../../kubepods.slice/…`;
 * matching segments rather than prefixes handles that.
 */

const ID = '[0-9a-f]{64}';
const SCOPE = new RegExp(`^(?:cri-containerd|crio|docker)-(${ID})\\.scope$`);
const BARE = new RegExp(`^(${ID})$`);
const POD_SYSTEMD = /^kubepods(?:-[a-z]+)*-pod([0-9a-f_]{36})\.slice$/;
const POD_CGROUPFS = /^pod([0-9a-f-]{36})$/;
const LINE = /^(\d+):([^:]*):(\/.*)$/;

export interface CgroupIdentity {
  containerId: string;
  /** Pod UID when the path carries it (kubepods hierarchy). */
  podUid?: string;
}

export interface CgroupParse {
  identity?: CgroupIdentity;
  /** Lines that did not match the cgroup line format (the caller logs them at debug). */
  malformed: number;
}

/** Container identity from one cgroup path, if it names a container. */
export function identityFromPath(p: string): CgroupIdentity | undefined {
  const segs = p.split('/');
  let podUid: string | undefined;
  let containerId: string | undefined;
  let underKubepods = false;
  let underDocker = false;
  for (const s of segs) {
    if (s.startsWith('kubepods')) underKubepods = true;
    if (s === 'docker' || s === 'docker.slice') underDocker = true;
    const pod = POD_SYSTEMD.exec(s) ?? POD_CGROUPFS.exec(s);
    if (pod) podUid = pod[1]!.replaceAll('_', '-');
    const scoped = SCOPE.exec(s);
    if (scoped) {
      containerId = scoped[1];
      continue;
    }
    // A bare 64-hex segment is a container only in a known hierarchy, not any hash-named cgroup.
    const bare = BARE.exec(s);
    if (bare && (underKubepods || underDocker)) containerId = bare[1];
  }
  if (!containerId) return undefined;
  return { containerId, ...(podUid ? { podUid } : {}) };
}

/**
 * Parse a whole /proc/<pid>/cgroup file. The v2 line (`0::`) wins when present (it is the unified
 * hierarchy the runtime manages); otherwise the first v1 line that names a container.
 */
export function parseCgroupFile(text: string): CgroupParse {
  let malformed = 0;
  let v2: CgroupIdentity | undefined;
  let v1: CgroupIdentity | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) {
      malformed++;
      continue;
    }
    const id = identityFromPath(m[3]!);
    if (!id) continue;
    if (m[1] === '0' && m[2] === '') v2 ??= id;
    else v1 ??= id;
  }
  const identity = v2 ?? v1;
  return { ...(identity ? { identity } : {}), malformed };
}

/** `containerd://<id>`, `cri-o://<id>`, `docker://<id>` → `<id>` (what cgroups carry). */
export function stripRuntimePrefix(containerID: string): string {
  const i = containerID.indexOf('://');
  return i >= 0 ? containerID.slice(i + 3) : containerID;
}
