import { type ArgumentMetadata, applyDecorators, ParseUUIDPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';

/**
 * Ids are compared in lower case everywhere (docs/api.md): an upper-case UUID names the same
 * resource on every database (MySQL's collation is case-insensitive, SQLite's is not) and the
 * same rate-limit bucket. They are lower-cased once, here at the edge, so no service or
 * repository ever sees another spelling.
 */

/** A UUID path parameter (400 BadRequest when it is not one), in lower case. */
export class ParseIdPipe extends ParseUUIDPipe {
  override async transform(value: string, metadata: ArgumentMetadata): Promise<string> {
    // Not optional: the parent returns the valid string it was given, or throws.
    const id = (await super.transform(value, metadata)) as string;
    return id.toLowerCase();
  }
}

/** A UUID body or query field (422 ValidationError when it is not one), in lower case; `each` for an array of them. */
export function IsId(options: { each?: boolean } = {}): PropertyDecorator {
  const lower = (value: unknown): unknown => (typeof value === 'string' ? value.toLowerCase() : value);
  return applyDecorators(
    Transform(({ value }: { value: unknown }) => (options.each && Array.isArray(value) ? value.map(lower) : lower(value))),
    IsUUID('all', { each: options.each ?? false }),
  );
}
