import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.js';

describe('SecretBox (AES-256-GCM)', () => {
  const key = randomBytes(32);

  it('round-trips and never contains the plaintext', () => {
    const box = new SecretBox([key]);
    const sealed = box.encrypt('reviewer-jwt-secret', 'config:1');
    expect(sealed).not.toContain('reviewer-jwt-secret');
    expect(box.decrypt(sealed, 'config:1')).toBe('reviewer-jwt-secret');
    expect(box.encrypt('same', 'a')).not.toBe(box.encrypt('same', 'a'));
  });

  it('refuses tampering, the wrong associated data and unknown keys', () => {
    const box = new SecretBox([key]);
    const sealed = box.encrypt('secret', 'config:1');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('zzzzzz').toString('base64url');
    expect(() => box.decrypt(parts.join('.'), 'config:1')).toThrow();
    expect(() => box.decrypt(sealed, 'config:2')).toThrow();
    expect(() => new SecretBox([randomBytes(32)]).decrypt(sealed, 'config:1')).toThrow(/unknown key/);
  });

  it('reads ciphertexts of a previous key while writing with the current one', () => {
    const old = randomBytes(32);
    const sealedOld = new SecretBox([old]).encrypt('s', '');
    const box = new SecretBox([key, old]);
    expect(box.decrypt(sealedOld, '')).toBe('s');
    expect(box.isCurrent(sealedOld)).toBe(false);
    expect(box.isCurrent(box.encrypt('s', ''))).toBe(true);
  });
});
