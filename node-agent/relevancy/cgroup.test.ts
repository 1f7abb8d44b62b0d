import { describe, expect, it } from 'vitest';
import { identityFromPath, parseCgroupFile, stripRuntimePrefix } from './cgroup.js';

const ID = 'a'.repeat(40) + '0123456789abcdef01234567';
const ID2 = 'b'.repeat(64);
const UID = '6c0b5d2e-2c2f-4a43-9d52-8f3e2f1a0b7c';

describe('container identity from cgroup paths', () => {
  it.each([
    [
      'containerd, systemd driver (v2)',
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replaceAll('-', '_')}.slice/cri-containerd-${ID}.scope`,
      ID,
      UID,
    ],
    ['containerd/CRI-O, cgroupfs driver', `/kubepods/besteffort/pod${UID}/${ID}`, ID, UID],
    ['guaranteed QoS, cgroupfs', `/kubepods/pod${UID}/${ID}`, ID, UID],
    [
      'CRI-O, systemd driver',
      `/kubepods.slice/kubepods-pod${UID.replaceAll('-', '_')}.slice/crio-${ID}.scope`,
      ID,
      UID,
    ],
    ['Docker, cgroupfs', `/docker/${ID}`, ID, undefined],
    ['Docker, systemd', `/system.slice/docker-${ID}.scope`, ID, undefined],
    [
      'private cgroup namespace view',
      `/../../kubepods-besteffort-pod${UID.replaceAll('-', '_')}.slice/cri-containerd-${ID}.scope`,
      ID,
      UID,
    ],
  ])('%s', (_name, p, id, uid) => {
    expect(identityFromPath(p)).toEqual({ containerId: id, ...(uid ? { podUid: uid } : {}) });
  });

  it.each([
    ['host service', '/system.slice/containerd.service'],
    ['CRI-O conmon', `/kubepods.slice/crio-conmon-${ID}.scope`],
    ['pod sandbox slice only', `/kubepods/besteffort/pod${UID}`],
    ['hash-named cgroup outside any runtime hierarchy', `/user.slice/${ID}`],
    ['root', '/'],
    ['too short id', '/docker/abc123'],
  ])('no container: %s', (_name, p) => {
    expect(identityFromPath(p)).toBeUndefined();
  });
});

describe('parseCgroupFile', () => {
  it('reads cgroup v1 files (first naming line wins) and counts malformed lines', () => {
    const text = [
      `12:memory:/kubepods/burstable/pod${UID}/${ID}`,
      `11:cpu,cpuacct:/kubepods/burstable/pod${UID}/${ID}`,
      'this is not a cgroup line',
      '3:pids', // truncated
      `1:name=systemd:/kubepods/burstable/pod${UID}/${ID}`,
      '',
    ].join('\n');
    expect(parseCgroupFile(text)).toEqual({ identity: { containerId: ID, podUid: UID }, malformed: 2 });
  });

  it('prefers the unified (v2) line on hybrid hosts', () => {
    const text = `4:memory:/docker/${ID2}\n0::/kubepods/besteffort/pod${UID}/${ID}\n`;
    expect(parseCgroupFile(text).identity?.containerId).toBe(ID);
  });

  it('host processes have no identity', () => {
    expect(parseCgroupFile('0::/init.scope\n')).toEqual({ malformed: 0 });
    expect(parseCgroupFile('')).toEqual({ malformed: 0 });
  });

  it('strips runtime schemes from status container IDs', () => {
    expect(stripRuntimePrefix(`containerd://${ID}`)).toBe(ID);
    expect(stripRuntimePrefix(`cri-o://${ID}`)).toBe(ID);
    expect(stripRuntimePrefix(ID)).toBe(ID);
  });
});
