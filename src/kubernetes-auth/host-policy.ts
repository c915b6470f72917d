import { validationError } from '../common/errors/domain-error.js';
import { privateAddressesOf } from '../common/net/private-address.js';

/**
 * With ALLOW_PRIVATE_KUBERNETES_HOSTS=false (`allowPrivate` false), a host that is or resolves to
 * a loopback, private, link-local or metadata address is refused when it is written (422), and
 * again at connect time, against rebinding. For configs and clusters alike.
 */
export async function assertHostAllowed(host: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate || !host) return;
  let refused: string[];
  try {
    refused = await privateAddressesOf(new URL(host).hostname);
  } catch {
    return; // Unresolvable now: the connect-time check still applies.
  }
  if (refused.length) {
    throw validationError([{ field: 'kubernetesHost', message: `kubernetesHost resolves to a private address (${refused[0]}), which ALLOW_PRIVATE_KUBERNETES_HOSTS=false refuses` }]);
  }
}
