import { describeValue, FeatherError } from 'feather-db';

/** `options` must be undefined or a plain object holding only `known` keys. */
export function checkOptionsShape<T extends object>(options: unknown, known: readonly string[], path: string): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path} must be an object, got ${describeValue(options)}`, { path });
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key))
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path}.${key} is not an option; known: ${known.join(', ')}`, {
        path: `${path}.${key}`,
      });
  }
  return options as T;
}
