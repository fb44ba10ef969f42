import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (the system picks it; `near` is only a fallback base). */
export function freePortNear(near: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(near + Math.floor(Math.random() * 90)));
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : near));
    });
  });
}
