import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** The services, by directory name (and compose service name). */
export const services = readdirSync(join(root, 'services')).sort();

/**
 * The variables each service's config.ts parses: the keys of every `…ConfigShape` it exports (spreads of
 * the shared shapes included).
 */
export async function serviceVariables(): Promise<Map<string, Set<string>>> {
  const result = new Map<string, Set<string>>();
  for (const service of services) {
    const module = (await import(join(root, 'services', service, 'src', 'config.ts'))) as Record<
      string,
      unknown
    >;
    const keys = Object.entries(module)
      .filter(([name, value]) => name.endsWith('ConfigShape') && typeof value === 'object' && value !== null)
      .flatMap(([, shape]) => Object.keys(shape as object));
    result.set(service, new Set(keys));
  }
  return result;
}

const SYSTEM_VARIABLES = new Set(['PATH', 'HOME', 'TMPDIR', 'NODE_ENV']);

/** Non-test TypeScript sources of the workspace. */
export function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name === 'dist') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const dir of ['packages', 'services', 'bench', 'test']) walk(join(root, dir));
  return files;
}

/**
 * Every environment variable the code reads: keys of zod configuration shapes (`NAME: z…` and friends,
 * wherever they are declared, e.g. the projector's rebuild command) and direct reads of process.env.
 * The operating system's own variables (PATH, HOME) are not ours to document.
 */
export function variablesReadByCode(): Map<string, string> {
  const found = new Map<string, string>();
  const shapeKey =
    /^\s*([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+):\s*(?:z\.|[a-zA-Z]+Schema\b|baseConfigShape\.|commaList|baseUrl|durationList)/gm;
  const envRead = /process\.env\.([A-Z][A-Z0-9_]*)/g;
  for (const file of sourceFiles()) {
    if (/\.(unit|int|e2e)\.test\.ts$/.test(file)) continue;
    const text = readFileSync(file, 'utf8');
    for (const pattern of [shapeKey, envRead]) {
      for (const match of text.matchAll(pattern)) {
        const name = match[1] as string;
        if (!SYSTEM_VARIABLES.has(name) && !found.has(name)) found.set(name, file.slice(root.length));
      }
    }
  }
  return found;
}
