import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

/** The projector's rebuild command, from its build (`pnpm build` makes it). */
export function projectorRebuildScript(): string {
  return createRequire(import.meta.url).resolve('@neurocards/projector/dist/rebuild-main.js');
}

/**
 * Runs the projector's own rebuild (`rebuild <name|all>`) as a child process with our DATABASE_URL, its
 * progress on our stderr and its JSON result on our stdout. Resolves to its exit code.
 */
export function runProjectorRebuild(projection: string, databaseUrl: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [projectorRebuildScript(), projection], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
