import { invalidRequest } from './errors';
import type { OperationInput } from './router';

type Fields = Readonly<Record<string, unknown>>;

/** Names of things, thing types and thing groups share one constraint in the IoT API model. */
const NAME_PATTERN = /^[a-zA-Z0-9:_-]+$/;

export function validateName(kind: string, name: string): string {
  if (name.length < 1 || name.length > 128 || !NAME_PATTERN.test(name)) {
    throw invalidRequest(`${kind} '${name}' must be 1-128 characters of [a-zA-Z0-9:_-]`);
  }
  return name;
}

/** A `{label}` from the path, validated as a registry name. */
export function nameLabel(input: OperationInput, label: string, kind: string): string {
  const value = input.labels[label];
  if (value === undefined) throw invalidRequest(`Missing path parameter ${label}`);
  return validateName(kind, value);
}

export function optionalString(fields: Fields, key: string): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`${key} must be a string`);
  return value;
}

export function optionalBoolean(fields: Fields, key: string): boolean | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`${key} must be a boolean`);
  return value;
}

export function optionalNumber(fields: Fields, key: string): number | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidRequest(`${key} must be a number`);
  return value;
}

export function optionalObject(fields: Fields, key: string): Fields | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidRequest(`${key} must be an object`);
  return value as Fields;
}

export function optionalStringList(fields: Fields, key: string): string[] | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw invalidRequest(`${key} must be a list of strings`);
  }
  return [...(value as string[])];
}

export function optionalStringMap(fields: Fields, key: string): Record<string, string> | undefined {
  const value = optionalObject(fields, key);
  if (value === undefined) return undefined;
  const map: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidRequest(`${key}.${k} must be a string`);
    map[k] = v;
  }
  return map;
}

export function queryInteger(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw invalidRequest(`${key} must be an integer, got '${raw}'`);
  return value;
}

export function queryBoolean(query: URLSearchParams, key: string): boolean | undefined {
  const raw = query.get(key);
  if (raw === null) return undefined;
  if (raw !== 'true' && raw !== 'false') throw invalidRequest(`${key} must be true or false, got '${raw}'`);
  return raw === 'true';
}
