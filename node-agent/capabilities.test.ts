import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCapabilities, missingCapabilities, parseProcStatus, type ProcStatus } from './capabilities.js';

const ALL = 0x1ffffffffffn;
const PTRACE = 1n << 19n;
const DAC_READ_SEARCH = 1n << 2n;

function status(s: Partial<ProcStatus>): ProcStatus {
  return { uid: 65532, effective: PTRACE | DAC_READ_SEARCH, bounding: ALL, noNewPrivs: false, ...s };
}

function statusText(uid: number, capEff: string, capBnd: string, nnp?: string): string {
  return [
    'Name:\tnode',
    `Uid:\t${uid}\t${uid}\t${uid}\t${uid}`,
    'Gid:\t0\t0\t0\t0',
    'CapInh:\t0000000000000000',
    'CapPrm:\t' + capEff,
    `CapEff:\t${capEff}`,
    `CapBnd:\t${capBnd}`,
    'CapAmb:\t0000000000000000',
    ...(nnp === undefined ? [] : [`NoNewPrivs:\t${nnp}`]),
    'Seccomp:\t2',
    '',
  ].join('\n');
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines };
}

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'kscape-caps-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

describe('parseProcStatus', () => {
  it('reads the effective uid, CapEff, CapBnd and NoNewPrivs', () => {
    expect(parseProcStatus(statusText(65532, '0000000000080004', '000001ffffffffff', '1'))).toEqual({
      uid: 65532,
      effective: 0x80004n,
      bounding: 0x1ffffffffffn,
      noNewPrivs: true,
    });
    // Uid: real effective saved fs — the effective one counts.
    expect(parseProcStatus('Uid:\t1000\t0\t0\t0\nCapEff:\t0\nCapBnd:\t0\n')?.uid).toBe(0);
  });

  it('returns undefined when a field is missing or malformed, and assumes NoNewPrivs off before 4.10', () => {
    expect(parseProcStatus('Name:\tx\nCapEff:\t0000000000000000\n')).toBeUndefined();
    expect(parseProcStatus(statusText(0, 'zz', '0'))).toBeUndefined();
    expect(parseProcStatus(statusText(0, '0', '0'))?.noNewPrivs).toBe(false);
  });

  it("parses this process's real status", async () => {
    const real = parseProcStatus(await fs.readFile('/proc/self/status', 'utf8'));
    expect(real?.uid).toBe(process.geteuid?.());
  });
});

describe('missingCapabilities', () => {
  it('is empty with both capabilities effective', () => {
    expect(missingCapabilities(status({}), '/usr/local/bin/node')).toEqual([]);
  });

  it('names each missing capability with what is skipped', () => {
    const m = missingCapabilities(status({ effective: DAC_READ_SEARCH }), '/x/node');
    expect(m.map((x) => x.capability)).toEqual(['CAP_SYS_PTRACE']);
    expect(m[0]!.skipped).toMatch(/memory-mapped files/);
    const both = missingCapabilities(status({ effective: 0n }), '/x/node');
    expect(both.map((x) => x.capability)).toEqual(['CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH']);
    expect(both[1]!.skipped).toMatch(/fd tables/);
  });

  it('gives the likeliest reason: bounding set, root, no_new_privs, or a binary without file capabilities', () => {
    const hint = (s: Partial<ProcStatus>) =>
      missingCapabilities(status({ effective: 0n, ...s }), '/usr/bin/node')[0]!.hint;
    expect(hint({ bounding: 0n })).toMatch(/not in the bounding set: add SYS_PTRACE/);
    expect(hint({ uid: 0 })).toMatch(/root without CAP_SYS_PTRACE/);
    expect(hint({ noNewPrivs: true })).toMatch(
      /no_new_privs is set .* add SYS_PTRACE to securityContext.capabilities.add/,
    );
    expect(hint({})).toMatch(/\/usr\/bin\/node carries no file capability sys_ptrace/);
  });
});

describe('checkCapabilities', () => {
  it('logs one plain warning per missing capability, no stack trace', async () => {
    const file = path.join(tmp, 'status-none');
    await fs.writeFile(file, statusText(65532, '0000000000000000', '00000000000a0004', '0'));
    const { log, lines } = capture();
    const missing = await checkCapabilities(log, file, '/usr/bin/node');
    expect(missing?.map((m) => m.capability)).toEqual(['CAP_SYS_PTRACE', 'CAP_DAC_READ_SEARCH']);
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^missing capability CAP_SYS_PTRACE: exe links, memory-mapped files/),
      expect.stringMatching(/^missing capability CAP_DAC_READ_SEARCH: the fd tables/),
    ]);
    for (const w of warnings) {
      expect(w).toMatchObject({ uid: 65532, hint: expect.stringContaining('/usr/bin/node') as unknown });
      expect(JSON.stringify(w)).not.toMatch(/\bat .+:\d+:\d+/);
    }
  });

  it('is quiet when both are present, and only debug-logs an unreadable status', async () => {
    const file = path.join(tmp, 'status-both');
    await fs.writeFile(file, statusText(65532, '0000000000080004', '0000000000080004', '0'));
    const a = capture();
    expect(await checkCapabilities(a.log, file)).toEqual([]);
    expect(a.lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    const b = capture();
    expect(await checkCapabilities(b.log, path.join(tmp, 'absent'))).toBeUndefined();
    expect(b.lines).toEqual([expect.objectContaining({ level: 20, error: 'ENOENT' })]);
  });
});
