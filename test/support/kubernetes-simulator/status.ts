import { randomUUID } from 'node:crypto';
import { ServerResponse } from 'node:http';

/** A meta/v1 Status, field for field as kube-apiserver serialises it. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: Record<string, unknown>;
  code: number;
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): StatusBody {
  // Key order follows the real encoding: details, when present, sits before code.
  const head = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason } as const;
  return details ? { ...head, details, code } : { ...head, code };
}

export const unauthorizedStatus = (): StatusBody => status(401, 'Unauthorized', 'Unauthorized');

export const tokenReviewForbiddenStatus = (username: string): StatusBody =>
  status(
    403,
    'Forbidden',
    `tokenreviews.authentication.k8s.io is forbidden: User "${username}" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope`,
    { group: 'authentication.k8s.io', kind: 'tokenreviews' },
  );

export const pathForbiddenStatus = (username: string, verb: string, path: string): StatusBody =>
  status(403, 'Forbidden', `forbidden: User "${username}" cannot ${verb} path "${path}"`, {});

export const namespaceForbiddenStatus = (username: string, name: string): StatusBody =>
  status(403, 'Forbidden', `namespaces "${name}" is forbidden: User "${username}" cannot get resource "namespaces" in API group "" in the namespace "${name}"`, { name, kind: 'namespaces' });

export const namespaceNotFoundStatus = (name: string): StatusBody => status(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' });

/** RBAC's denial of a resource request; the namespace of a namespaced request (or of a Namespace itself) is named. */
export const resourceForbiddenStatus = (username: string, r: { verb: string; group: string; resource: string; name?: string; namespace?: string }): StatusBody => {
  const qualified = r.group ? `${r.resource}.${r.group}` : r.resource;
  const scope = r.namespace ? `in the namespace "${r.namespace}"` : 'at the cluster scope';
  const details: Record<string, unknown> = {};
  if (r.name) details['name'] = r.name;
  if (r.group) details['group'] = r.group;
  details['kind'] = r.resource;
  return status(403, 'Forbidden', `${qualified}${r.name ? ` "${r.name}"` : ''} is forbidden: User "${username}" cannot ${r.verb} resource "${r.resource}" in API group "${r.group}" ${scope}`, details);
};

export const notAcceptableStatus = (available: string): StatusBody =>
  status(406, 'NotAcceptable', `406: Not Acceptable\n\nAvailable representations: ${available}`, {});

/** Go's http.NotFound, which kube-apiserver answers for paths outside every API group it serves. */
export function sendPlainNotFound(res: ServerResponse): void {
  sendRaw(res, 404, '404 page not found\n', 'text/plain; charset=utf-8');
}

export const notFoundStatus = (): StatusBody =>
  status(404, 'NotFound', 'the server could not find the requested resource', {});

export const methodNotAllowedStatus = (): StatusBody =>
  status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});

export const badRequestStatus = (message: string): StatusBody => status(400, 'BadRequest', message);

export const payloadTooLargeStatus = (): StatusBody =>
  status(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');

export const unsupportedMediaTypeStatus = (): StatusBody =>
  status(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
  );

export const internalErrorStatus = (cause: string): StatusBody =>
  status(500, 'InternalError', `Internal error occurred: ${cause}`, { causes: [{ message: cause }] });

/** Writes a JSON answer with the headers kube-apiserver always sends. Go's encoder ends the body with \n. */
export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendRaw(res, code, `${JSON.stringify(body)}\n`, contentType);
}

export function sendRaw(res: ServerResponse, code: number, text: string, contentType = 'application/json'): void {
  if (res.headersSent || res.destroyed) return;
  const payload = Buffer.from(text, 'utf8');
  res.writeHead(code, {
    'Audit-Id': randomUUID(),
    'Cache-Control': 'no-cache, private',
    'Content-Type': contentType,
    'Content-Length': payload.length,
  });
  res.end(payload);
}
