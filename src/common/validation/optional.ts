import { ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * Like @IsOptional() but only for an absent field: an explicit `null` is still validated (and so
 * refused by the type rules). docs/api.md "Kubernetes auth config fields": on PATCH, `null` is a value, not "keep the old one".
 */
export function OptionalButNotNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined, options);
}

/** Absent or `null` both skip validation (a field where `null` means "clear"). */
export function OptionalOrNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined && value !== null, options);
}
