// Two JSON-schema validators: bodies (and MCP arguments) are taken exactly as sent — no type coercion, no
// dropped fields, so an unknown field or a wrong type is a 400; path and query strings are coerced to the
// declared numbers and integers.
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';

const kBody = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, strict: false });
const kStrings = new Ajv({ coerceTypes: true, removeAdditional: false, useDefaults: false, allErrors: false, strict: false });

export function compileBody(schema: TSchema): ValidateFunction {
  return kBody.compile(schema);
}

export function compileStrings(schema: TSchema): ValidateFunction {
  return kStrings.compile(schema);
}
