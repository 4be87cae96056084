// Parsers for option values: a bad value is a usage error (exit 64) naming the option.
import { InvalidArgumentError } from 'commander';

export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
    return n;
  };
}

export function jsonValue(what: string): (value: string) => unknown {
  return (value) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw new InvalidArgumentError(`expected ${what} as JSON, got ${JSON.stringify(value)}`);
    }
  };
}
