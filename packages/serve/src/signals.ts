import type { RunningServer } from './server.js';

/**
 * SIGINT/SIGTERM stop the server gracefully (requests in flight finish, the store is saved) and exit 0; a
 * second signal exits at once with 1.
 */
export function stopOnSignals(server: RunningServer, say: (line: string) => void): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) {
        say(`feather-serve: ${signal} again, exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      say(`feather-serve: ${signal}: finishing requests in flight, saving ${server.service.db.path}`);
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          say(`feather-serve: could not stop cleanly: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}
