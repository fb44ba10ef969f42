import net from 'node:net';

/**
 * Integration and end-to-end tests need the real PostgreSQL and NATS JetStream servers. `pnpm test`
 * (scripts/test.sh) installs and starts them; this check turns a missing server into one clear message
 * instead of a hundred timeouts.
 */
export default async function globalSetup(): Promise<void> {
  const postgres = new URL(
    process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const nats = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
  const missing: string[] = [];
  if (!(await reachable(postgres.hostname, Number(postgres.port || 5432))))
    missing.push(`PostgreSQL at ${postgres.host}`);
  if (!(await reachable(nats.hostname, Number(nats.port || 4222)))) missing.push(`NATS at ${nats.host}`);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(' and ')} not reachable: run \`pnpm test\` (it starts them) or \`pnpm setup\`.`,
    );
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
