import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { root, services, serviceVariables } from './config-shapes.js';

// The part of the compose file these checks read; anything else may be there too.
const composeService = z.looseObject({
  image: z.string().optional(),
  build: z.object({ context: z.string(), args: z.record(z.string(), z.string()).optional() }).optional(),
  container_name: z.string().optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  healthcheck: z
    .looseObject({ test: z.array(z.string()).optional(), disable: z.boolean().optional() })
    .optional(),
  restart: z.string().optional(),
  profiles: z.array(z.string()).optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
});
const composeFile = z.object({
  services: z.record(z.string(), composeService),
  volumes: z.record(z.string(), z.unknown().nullable()),
});

// `<<: *service` merges are YAML 1.1; docker compose resolves them, and so does `merge: true`.
const compose = composeFile.parse(
  parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }),
);
const service = (name: string) => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

describe('docker-compose.yml', () => {
  it('builds each of the five services from the Dockerfile with its name, and checks its readiness', () => {
    for (const name of services) {
      const definition = service(name);
      expect(definition.build?.args?.SERVICE, name).toBe(name);
      expect(definition.healthcheck?.test?.join(' '), name).toMatch(/\/readyz/);
      expect(definition.restart, name).toBe('unless-stopped');
      expect(Number(definition.environment?.HTTP_PORT), name).toBeGreaterThan(0);
    }
  });

  it('gives every long-running container a health check', () => {
    const oneShot = Object.entries(compose.services).filter(([, definition]) => definition.restart === 'no');
    expect(oneShot.map(([name]) => name).sort()).toEqual(['metabase-db', 'metabase-setup', 'ops']);
    for (const [name, definition] of Object.entries(compose.services)) {
      if (definition.restart === 'no') continue;
      expect(definition.healthcheck?.test?.length ?? 0, name).toBeGreaterThan(0);
    }
  });

  it('lets the generator scale: no container name, no published port, not a relay candidate', () => {
    const generator = service('generator');
    expect(generator.container_name).toBeUndefined();
    expect(generator.ports).toBeUndefined();
    expect(generator.environment?.RELAY_ENABLED).toBe('false');
    // No service may pin a container name: it would stop `--scale` and clash between projects.
    for (const [name, definition] of Object.entries(compose.services)) {
      expect(definition.container_name, name).toBeUndefined();
    }
  });

  it('sets only variables each service parses', async () => {
    const parsed = await serviceVariables();
    for (const name of services) {
      const known = parsed.get(name) ?? new Set();
      const unknown = Object.keys(service(name).environment ?? {}).filter((variable) => !known.has(variable));
      expect(unknown, name).toEqual([]);
    }
  });

  it('runs NATS 2.1x with JetStream on a volume, fsyncing every write', () => {
    const nats = service('nats');
    expect(nats.image).toMatch(/^nats:2\.1\d/);
    expect(nats.volumes).toContain('nats-data:/data');
    expect(nats.volumes).toContain('./deploy/nats.conf:/etc/nats/nats.conf:ro');
    const conf = readFileSync(join(root, 'deploy', 'nats.conf'), 'utf8');
    expect(conf).toMatch(/jetstream\s*\{[^}]*store_dir:\s*\/data/);
    expect(conf).toMatch(/sync_interval:\s*always/);
  });

  it('keeps PostgreSQL data and its WAL archive on volumes', () => {
    const postgres = service('postgres');
    expect(postgres.volumes).toEqual(
      expect.arrayContaining([
        'postgres-data:/var/lib/postgresql/data',
        'postgres-wal-archive:/var/lib/postgresql/wal-archive',
      ]),
    );
    const command = [postgres.command ?? []].flat().join(' ');
    expect(command).toMatch(/archive_mode=on/);
    expect(command).toMatch(/idle_in_transaction_session_timeout=/);
    for (const volume of ['postgres-data', 'postgres-wal-archive', 'nats-data', 'prometheus-data']) {
      expect(Object.keys(compose.volumes)).toContain(volume);
    }
  });

  it('runs Prometheus with the rules of deploy/prometheus, published on this host only', () => {
    const prometheus = service('prometheus');
    expect(prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    expect(prometheus.ports?.every((port) => port.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('publishes nothing beyond this host', () => {
    for (const [name, definition] of Object.entries(compose.services)) {
      for (const port of definition.ports ?? []) expect(port, name).toMatch(/^"?127\.0\.0\.1:/);
    }
  });

  it('offers the ops commands as a one-shot container behind a profile', () => {
    const ops = service('ops');
    expect(ops.profiles).toEqual(['ops']);
    expect(ops.build?.args?.SERVICE).toBe('ops');
    expect(Object.keys(ops.environment ?? {})).toEqual(expect.arrayContaining(['DATABASE_URL', 'NATS_URL']));
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

  it('builds in stages, deploys production dependencies only, and runs as an unprivileged user', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/deploy --legacy --prod \/out/);
    expect(dockerfile).toMatch(/^USER node$/m);
    // The runtime files belong to root: the service cannot rewrite its own code.
    expect(dockerfile).not.toMatch(/COPY --from=build --chown/);
    // The lockfile alone decides the downloads, so no package list here goes stale.
    expect(dockerfile).toMatch(/RUN pnpm fetch/);
    expect(dockerfile).toMatch(/pnpm install --offline --frozen-lockfile/);
  });
});
