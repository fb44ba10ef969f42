import { readFileSync } from 'node:fs';

/**
 * The message ids of a Fluent file and the variables each uses, read from the text itself (not through a
 * Fluent parser, so that a message the parser dropped for a syntax error still shows up here).
 */
export function fluentCatalog(path: string | URL): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const id = /^([a-z][\w-]*) =/.exec(line)?.[1];
    if (id) {
      current = id;
      entries.set(id, []);
    }
    if (current) for (const match of line.matchAll(/\$(\w+)/g)) entries.get(current)?.push(match[1] ?? '');
  }
  for (const [id, variables] of entries) entries.set(id, [...new Set(variables)].sort());
  return entries;
}
