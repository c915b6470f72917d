import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, defaultCell, END_MARKER, renderVariablesTable, updateConfigDocs } from '../../scripts/gen-config-docs.js';
import { ERROR_STATUS } from '../../src/common/errors/error-codes.js';
import { CHECK_ONLY_CODES } from '../../src/kubernetes-auth/connection-check.service.js';
import { loadConfig, VARIABLES } from '../../src/config/config.schema.js';

/**
 * The operator docs cannot drift from the code: docs/configuration.md documents every variable of
 * VARIABLES with its default, and docs/troubleshooting.md every error code of ERROR_STATUS with
 * its status.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('docs/configuration.md', () => {
  const doc = read('docs/configuration.md');
  const tableRows = doc.split('\n').filter((line) => /^\| `[A-Z][A-Z0-9_]*` \|/.test(line));

  it.each(VARIABLES.map((v) => [v.name, v] as const))('documents %s with its default', (name, spec) => {
    const row = tableRows.find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row, `no table row for ${name}: run npm run build && node dist/scripts/gen-config-docs.js`).toBeDefined();
    expect(row).toMatch(new RegExp(`^\\| \`${escape(name)}\` \\| ${escape(defaultCell(spec))} \\| .+ \\|$`));
  });

  it('documents no variable the configuration does not know', () => {
    const known = new Set(VARIABLES.map((v) => v.name));
    const documented = tableRows.map((line) => /^\| `([A-Z0-9_]+)` \|/.exec(line)![1]);
    expect(documented.filter((name) => !known.has(name))).toEqual([]);
    expect(documented).toHaveLength(VARIABLES.length);
  });

  it('the generated table is up to date (node dist/scripts/gen-config-docs.js)', () => {
    expect(doc).toContain(BEGIN_MARKER);
    expect(doc).toContain(END_MARKER);
    expect(updateConfigDocs(doc)).toBe(doc);
  });

  it('the documented defaults are the ones the parser applies', () => {
    // VARIABLES drives the parser, so a default changed there changes the docs and the behaviour together.
    const config = loadConfig({});
    const byName = Object.fromEntries(VARIABLES.map((v) => [v.name, v.default]));
    expect(String(config.port)).toBe(byName['PORT']);
    expect(config.host).toBe(byName['HOST']);
    expect(config.dbType).toBe(byName['DB_TYPE']);
    expect(config.dbPath).toBe(byName['DB_PATH']);
    expect(config.publicUrl).toBe(byName['PUBLIC_URL']);
    expect(String(config.kubernetesTimeoutMs)).toBe(byName['KUBERNETES_TIMEOUT_MS']);
    expect(String(config.loginRateLimit)).toBe(byName['LOGIN_RATE_LIMIT']);
    expect(config.logLevel).toBe(byName['LOG_LEVEL']);
  });

  it('the renderer escapes table syntax and shows an empty default as a dash', () => {
    const table = renderVariablesTable([
      { name: 'A_VAR', default: '', meaning: 'x | y' },
      { name: 'B_VAR', default: '1', meaning: 'z' },
    ]);
    expect(table.split('\n').slice(2)).toEqual(['| `A_VAR` | — | x \\| y |', '| `B_VAR` | `1` | z |']);
  });

  it('this test fails on a missing variable or a wrong default', () => {
    const withoutPort = doc.replace(/^\| `PORT` \|.*\n/m, '');
    expect(withoutPort).not.toBe(doc);
    expect(updateConfigDocs(withoutPort)).not.toBe(withoutPort);
    const wrongDefault = doc.replace('| `PORT` | `8080` |', '| `PORT` | `3000` |');
    expect(updateConfigDocs(wrongDefault)).not.toBe(wrongDefault);
  });
});

describe('docs/troubleshooting.md', () => {
  const doc = read('docs/troubleshooting.md');
  const headings = doc.split('\n').filter((line) => line.startsWith('### `'));

  it.each(Object.entries(ERROR_STATUS))('explains %s (%i) with a cause and a fix', (code, status) => {
    const heading = `### \`${code}\` (${status})`;
    expect(headings, `docs/troubleshooting.md needs a section "${heading}"`).toContain(heading);
    const start = doc.indexOf(`${heading}\n`);
    const next = doc.indexOf('\n#', start + heading.length);
    const section = doc.slice(start, next < 0 ? undefined : next);
    expect(section).toMatch(/\*\*Cause:\*\* \S/);
    expect(section).toMatch(/\*\*Fix:\*\* \S/);
  });

  it.each(CHECK_ONLY_CODES)('explains the connection check’s own code %s', (code) => {
    expect(headings).toContain(`### \`${code}\``);
  });

  it('has no section for a code the API (or its connection check) does not have', () => {
    const codes = headings.map((h) => /^### `(\w+)`/.exec(h)![1]);
    expect(codes.filter((code) => !(code! in ERROR_STATUS) && !(CHECK_ONLY_CODES as readonly string[]).includes(code!))).toEqual([]);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
