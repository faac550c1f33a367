import { connect } from 'node:net';

/**
 * The real servers the adapter tests talk to, each read from an env var with
 * the loopback default. On a laptop without one, its tests skip with a visible
 * reason; under CI=true a missing service fails the run instead.
 */
export const services = {
  postgres: { env: 'POSTGRES_URL', url: process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  mysql: { env: 'MYSQL_URL', url: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test' },
  redis: { env: 'REDIS_URL', url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
} as const;

export type ServiceName = keyof typeof services;

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port), timeout: 1_500 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Resolves the service's URL when it answers, `undefined` when it does not
 * (after printing why its tests are skipped). Throws under CI=true.
 */
export async function requireService(name: ServiceName): Promise<string | undefined> {
  const { env, url } = services[name];
  if (await reachable(url)) return url;
  const why = `${name} is not reachable at ${url} (set ${env} to point elsewhere)`;
  if (process.env.CI === 'true') throw new Error(`${why}; under CI=true this fails instead of skipping.`);
  console.warn(`[skip] ${why}: its tests are skipped.`);
  return undefined;
}

/** A table or key prefix no other test run uses, so that parallel runs never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
