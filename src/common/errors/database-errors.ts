/** Error codes of mysql2/Node/better-sqlite3 that mean "the database is not reachable right now". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'POOL_CLOSED',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  // Our own DomainError past DB_QUERY_TIMEOUT_MS (src/database/unit-of-work.ts).
  'DatabaseUnavailable',
]);

const UNAVAILABLE_MESSAGES = [/pool is closed/i, /connection is in closed state/i, /can't add new command when connection is in closed state/i, /database is locked/i, /connection lost/i, /queue limit reached/i, /DatabaseUnavailable/];

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(message))) return true;
    current = (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

/** A unique or primary-key constraint refused the write (MySQL ER_DUP_ENTRY, SQLite CONSTRAINT). */
export function isUniqueViolation(error: unknown): boolean {
  const driver = (error as { driverError?: { code?: unknown } })?.driverError ?? error;
  const code = (driver as { code?: unknown })?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
