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
