// A feather-serve child for the server benchmarks: the built bin, as users run it, on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const kBin = fileURLToPath(new URL('../../packages/serve/dist/bin/feather-serve.js', import.meta.url));
const kListening = /listening on (http:\/\/\S+)/;

/** Starts feather-serve on `path` with `key` and the extra `args`; resolves once it listens, with its URL. */
export async function startServe(
  path: string,
  options: { key: string; args?: readonly string[] },
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [kBin, path, ...(options.args ?? []), '--port', '0', '--log-level', 'warn'], {
    env: { ...process.env, FEATHER_API_KEY: options.key },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  for (;;) {
    const listening = kListening.exec(out);
    if (listening !== null) return { child, url: listening[1] };
    if (child.exitCode !== null) throw new Error(`feather-serve exited: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
