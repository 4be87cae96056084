// MCP SDK clients of a feather-serve: Streamable HTTP (with the key) and stdio (a child process of the built bin).
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const kServeBin = fileURLToPath(new URL('../../packages/serve/dist/bin/feather-serve.js', import.meta.url));

export async function httpClient(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'feather-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }),
  );
  return client;
}

export async function stdioClient(storePath: string): Promise<Client> {
  const client = new Client({ name: 'feather-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: [kServeBin, storePath, '--stdio', '--threads', '1'], stderr: 'ignore' }),
  );
  return client;
}

/** Calls a tool; returns the parsed JSON result, or `{ error }` for a tool error. */
export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const result = await client.callTool({ name, arguments: args });
  const text = (result.content as { type: string; text: string }[])[0].text;
  const parsed = JSON.parse(text);
  return result.isError === true ? { error: parsed } : parsed;
}
