import { useSyncExternalStore } from 'react';

/**
 * The dashboard session bearer: in memory, mirrored to sessionStorage so that a reload keeps the
 * tab signed in. Never localStorage (docs/console.md "Security"): a session ends with its tab.
 */
const KEY = 'zerokey.session';
let token: string | null = sessionStorage.getItem(KEY);
let expired = false;
const listeners = new Set<() => void>();

export function sessionToken(): string | null {
  return token;
}

/** `expired`: the API ended the session (not a sign-out), so sign-in leads back to where the user was. */
export function setSessionToken(next: string | null, reason: 'signed-in' | 'signed-out' | 'expired' = next ? 'signed-in' : 'signed-out'): void {
  token = next;
  expired = reason === 'expired';
  if (next) sessionStorage.setItem(KEY, next);
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

export function sessionExpired(): boolean {
  return expired;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSessionToken(): string | null {
  return useSyncExternalStore(subscribe, sessionToken);
}
