import { createServer } from "node:net";

/**
 * Asks the OS for a currently free TCP port on `host`.
 *
 * Another process may take the port between this call and anvil's bind; callers retry on
 * "Address already in use" rather than assuming the port is reserved. We prefer this to ports derived
 * from VITEST_POOL_ID because several engineers (and CI shards) share one machine.
 */
export function getFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => (port ? resolve(port) : reject(new Error("the OS returned no port"))));
    });
  });
}
