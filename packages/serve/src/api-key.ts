// The API key: given (flag or FEATHER_API_KEY), or kept in a 0600 file beside the store and created on the
// first start. The server never runs open by accident: only --dev turns auth off.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { FeatherError } from 'feather-db';

export interface ApiKey {
  key: string;
  /** True when this start created it (print it once, then never again). */
  created: boolean;
  /** The file holding it, when it came from (or went to) one. */
  file: string | undefined;
}

export function keyFileOf(storePath: string): string {
  return `${storePath}.key`;
}

/** The given key, else the one in `<store>.key`, else a new random one written there with mode 0600. */
export function resolveApiKey(given: string | undefined, storePath: string): ApiKey {
  if (given !== undefined) {
    if (given.length < 16)
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `the API key must be at least 16 characters, got ${given.length}; omit it to have one generated`,
        { path: 'apiKey' },
      );
    return { key: given, created: false, file: undefined };
  }
  const file = keyFileOf(storePath);
  try {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 16) {
      if ((statSync(file).mode & 0o077) !== 0) {
        throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${file} is readable by other users; run chmod 600 ${file}`, { path: file });
      }
      return { key, created: false, file };
    }
  } catch (error) {
    if (error instanceof FeatherError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new FeatherError(
        'FEATHER_ERR_IO',
        `cannot read the key file ${file}: ${(error as Error).message}`,
        { path: file },
        { cause: error },
      );
  }
  const key = randomBytes(24).toString('base64url');
  // 'wx': never overwrite a key another start wrote meanwhile; 0600: only the owner reads it.
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true, file };
}

/** Compares a request's Authorization header with the key in constant time (both hashed to equal lengths). */
export function authorized(header: string | undefined, key: string): boolean {
  const given = header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length).trim() : '';
  const a = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, keyDigest(key)) && given.length > 0;
}

/** The server's key hashed once, not on every request (a server has one key). */
let lastKey: { key: string; digest: Buffer } | undefined;
function keyDigest(key: string): Buffer {
  if (lastKey?.key !== key) lastKey = { key, digest: createHash('sha256').update(key).digest() };
  return lastKey.digest;
}
