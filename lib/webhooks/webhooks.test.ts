import { describe, expect, it } from 'vitest';
import {
  BadTimestampError,
  generateSecret,
  InvalidSecretError,
  MissingHeadersError,
  NoMatchingSignatureError,
  parseSecrets,
  sign,
  signHeaders,
  TimestampTooNewError,
  TimestampTooOldError,
  verify,
} from './index.js';

// Published test vector of the Standard Webhooks / Svix reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const at = VECTOR.timestamp * 1000;

describe('Standard Webhooks', () => {
  it('signs the published test vector', () => {
    expect(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verifies the published test vector', () => {
    const h = { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': VECTOR.signature };
    const v = verify(h, VECTOR.body, parseSecrets(VECTOR.secret), { now: at });
    expect(v).toEqual({ id: VECTOR.id, timestamp: VECTOR.timestamp, secretIndex: 0 });
    // Headers object works too
    expect(verify(new Headers(h), Buffer.from(VECTOR.body), [VECTOR.secret], { now: at }).id).toBe(VECTOR.id);
  });

  it('accepts any of several secrets and several signatures (rotation)', () => {
    const oldS = generateSecret();
    const newS = generateSecret();
    const h = signHeaders(oldS, 'msg_1', 1000, 'x');
    expect(verify(h, 'x', parseSecrets(`${newS}, ${oldS}`), { now: 1000_000 }).secretIndex).toBe(1);
    const both = signHeaders([newS, oldS], 'msg_1', 1000, 'x');
    expect(both['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verify(both, 'x', [oldS], { now: 1000_000 }).secretIndex).toBe(0);
    // unknown versions are ignored, a later v1 still matches
    const mixed = { ...h, 'webhook-signature': `v2,abc v1a,zzz ${h['webhook-signature']}` };
    expect(verify(mixed, 'x', [oldS], { now: 1000_000 }).id).toBe('msg_1');
  });

  const base = (): Record<string, string> => ({
    'webhook-id': VECTOR.id,
    'webhook-timestamp': String(VECTOR.timestamp),
    'webhook-signature': VECTOR.signature,
  });
  const secrets = [VECTOR.secret];

  it('rejects a tampered body, id, timestamp or signature', () => {
    expect(() => verify(base(), VECTOR.body.replace('2432', '2433'), secrets, { now: at })).toThrow(NoMatchingSignatureError);
    expect(() => verify({ ...base(), 'webhook-id': 'msg_other' }, VECTOR.body, secrets, { now: at })).toThrow(NoMatchingSignatureError);
    expect(() => verify({ ...base(), 'webhook-timestamp': String(VECTOR.timestamp + 1) }, VECTOR.body, secrets, { now: at })).toThrow(
      NoMatchingSignatureError,
    );
    expect(() => verify({ ...base(), 'webhook-signature': 'v1,h0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, VECTOR.body, secrets, { now: at })).toThrow(
      NoMatchingSignatureError,
    );
    expect(() => verify({ ...base(), 'webhook-signature': 'v1,' }, VECTOR.body, secrets, { now: at })).toThrow(NoMatchingSignatureError);
    expect(() => verify(base(), VECTOR.body, [generateSecret()], { now: at })).toThrow(NoMatchingSignatureError);
    expect(() => verify(base(), VECTOR.body, [], { now: at })).toThrow(NoMatchingSignatureError);
  });

  it('rejects missing headers and bad timestamps', () => {
    const h = base();
    delete h['webhook-signature'];
    try {
      verify(h, VECTOR.body, secrets, { now: at });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MissingHeadersError);
      expect((e as MissingHeadersError).missing).toEqual(['webhook-signature']);
    }
    expect(() => verify({ ...base(), 'webhook-timestamp': '12.5' }, VECTOR.body, secrets, { now: at })).toThrow(BadTimestampError);
    expect(() => verify({ ...base(), 'webhook-timestamp': 'soon' }, VECTOR.body, secrets, { now: at })).toThrow(BadTimestampError);
  });

  it('enforces the tolerance window both ways', () => {
    expect(() => verify(base(), VECTOR.body, secrets, { now: at + 301_000 })).toThrow(TimestampTooOldError);
    expect(() => verify(base(), VECTOR.body, secrets, { now: at - 301_000 })).toThrow(TimestampTooNewError);
    expect(verify(base(), VECTOR.body, secrets, { now: at + 299_000 }).id).toBe(VECTOR.id);
    expect(() => verify(base(), VECTOR.body, secrets, { now: at + 11_000, toleranceSeconds: 10 })).toThrow(TimestampTooOldError);
  });

  it('rejects malformed secrets', () => {
    expect(() => parseSecrets('whsec_not base64!')).toThrow(InvalidSecretError);
    expect(() => parseSecrets('whsec_YWJj')).toThrow(InvalidSecretError);
    expect(parseSecrets(undefined)).toEqual([]);
  });
});
