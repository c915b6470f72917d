import { registerDecorator, type ValidationOptions } from 'class-validator';
import { parseCidr } from '../net/cidr.js';

/** An IPv4/IPv6 address or CIDR (`10.0.0.0/8`, `2001:db8::/32`, `::ffff:10.0.0.1`). */
export function IsCidr(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCidr',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an IPv4 or IPv6 address or CIDR range', ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && parseCidr(value) !== null },
    });
  };
}
