/** Test helper: an in-memory ustar layer from a path → content map (names ≤ 255 bytes via prefix). */
export type TarFile = string | Buffer | { data: string | Buffer; mode?: number };

function header(name: string, size: number, mode: number): Buffer {
  const h = Buffer.alloc(512);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar name too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0);
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

export function tarOf(files: Record<string, TarFile>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, f] of Object.entries(files)) {
    const spec = typeof f === 'string' || Buffer.isBuffer(f) ? { data: f } : f;
    const data = Buffer.isBuffer(spec.data) ? spec.data : Buffer.from(spec.data);
    parts.push(header(name, data.length, spec.mode ?? 0o644), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
