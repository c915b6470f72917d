import { registerDecorator, type ValidationOptions } from 'class-validator';

export const METADATA_MAX_KEYS = 32;

/** A flat JSON object of string values: at most 32 keys, keys 1-64 chars, values ≤ 1024 chars. */
export function IsStringRecord(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isStringRecord',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property must be a flat object of at most ${METADATA_MAX_KEYS} string values (keys 1-64 characters, values up to 1024)`, ...options },
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          if (Object.getPrototypeOf(value) !== Object.prototype) return false;
          const entries = Object.entries(value);
          return entries.length <= METADATA_MAX_KEYS && entries.every(([k, v]) => k.length >= 1 && k.length <= 64 && typeof v === 'string' && v.length <= 1024);
        },
      },
    });
  };
}
