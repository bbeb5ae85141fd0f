// Argument parsing for rebuild(name, args): artifacts are files people edit, so every field is checked.
import type { JsonValue } from "../contract.js";

export class BadArgsError extends Error {
  override name = "BadArgsError";
}

type Args = Record<string, JsonValue>;

export function int(args: Args, key: string, min: number, max: number): number {
  const value = args[key];
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new BadArgsError(`${key} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

export function ints(args: Args, key: string, min: number, max: number, length: [number, number]): number[] {
  const value = args[key];
  if (!Array.isArray(value) || value.length < length[0] || value.length > length[1]) {
    throw new BadArgsError(`${key} must be an array of ${length[0]}..${length[1]} integers`);
  }
  return value.map((_, i) => int(value as unknown as Args, String(i), min, max));
}

export function bool(args: Args, key: string): boolean {
  const value = args[key];
  if (typeof value !== "boolean")
    throw new BadArgsError(`${key} must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

export function oneOf<const T extends string>(args: Args, key: string, values: readonly T[]): T {
  const value = args[key];
  if (typeof value !== "string" || !values.includes(value as T)) {
    throw new BadArgsError(`${key} must be one of ${values.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

export function pair(args: Args, key: string): [number, number] {
  const [a, b] = ints(args, key, 0, 2, [2, 2]) as [number, number];
  if (a === b) throw new BadArgsError(`${key} must name two different Safe owners`);
  return [a, b];
}

export function entries<T>(
  args: Args,
  key: string,
  length: [number, number],
  parse: (entry: Args) => T,
): T[] {
  const value = args[key];
  if (!Array.isArray(value) || value.length < length[0] || value.length > length[1]) {
    throw new BadArgsError(`${key} must be an array of ${length[0]}..${length[1]} entries`);
  }
  return value.map((entry) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new BadArgsError(`${key} entries must be objects`);
    }
    return parse(entry);
  });
}
