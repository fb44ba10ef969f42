import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, serviceVariables, variablesReadByCode } from './config-shapes.js';

const docs = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');

/** Table rows of docs/configuration.md by section: every `NAME` in a row's first cell, with the row's cells. */
function documentedRows(): Array<{ section: string; names: string[]; cells: string[] }> {
  const rows: Array<{ section: string; names: string[]; cells: string[] }> = [];
  let section = '';
  for (const line of docs.split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3).trim();
    if (!line.startsWith('| `')) continue;
    const cells = line.split('|').map((cell) => cell.trim());
    const names = [...(cells[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1] as string);
    rows.push({ section, names, cells });
  }
  return rows;
}

const SERVICE_NAMES_IN_DOCS: Record<string, string> = { 'bot-gateway': 'gateway' };

describe('docs/configuration.md', () => {
  it('documents every variable the code reads', () => {
    const documented = new Set(documentedRows().flatMap((row) => row.names));
    const missing = [...variablesReadByCode()]
      .filter(([name]) => !documented.has(name))
      .map(([name, file]) => `${name} (read in ${file})`);
    expect(missing).toEqual([]);
  });

  it('names, for each service-specific variable, every service that parses it', async () => {
    const rows = documentedRows();
    const everyService = new Set(
      rows.filter((row) => row.section === 'Every service').flatMap((row) => row.names),
    );
    const perService = rows.filter((row) => row.section === 'Per service');
    const problems: string[] = [];
    for (const [service, variables] of await serviceVariables()) {
      const docName = SERVICE_NAMES_IN_DOCS[service] ?? service;
      for (const variable of variables) {
        if (everyService.has(variable)) continue;
        const row = perService.find((candidate) => candidate.names.includes(variable));
        if (!row) problems.push(`${variable} (${service}) is in neither table`);
        else if (!(row.cells[2] ?? '').split(/,\s*/).includes(docName))
          problems.push(`${variable}: the row does not name ${docName}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('documents every variable docker-compose.yml takes from .env', () => {
    const documented = new Set(documentedRows().flatMap((row) => row.names));
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    const interpolated = new Set(
      [...compose.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((match) => match[1] as string),
    );
    expect(interpolated.size).toBeGreaterThan(5);
    expect([...interpolated].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('finds the variables it checks (the scan itself works)', async () => {
    const read = variablesReadByCode();
    for (const name of [
      'DATABASE_URL',
      'KIE_API_KEYS',
      'PROJECTION_REBUILD_BATCH_SIZE',
      'TEST_DATABASE_ADMIN_URL',
    ]) {
      expect(read.has(name), name).toBe(true);
    }
    const perService = await serviceVariables();
    expect(perService.get('generator')?.has('KIE_RATE_LIMIT')).toBe(true);
    expect(perService.get('delivery')?.has('TELEGRAM_BOT_TOKEN')).toBe(true);
    expect(perService.size).toBe(5);
  });
});
