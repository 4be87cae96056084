// One MCP server over the service: tools/list answers the tool table, tools/call validates the arguments
// with the same schemas as REST and runs the tool. Used per request (Streamable HTTP, stateless) and once
// for --stdio.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { FeatherError } from 'feather-db';
import { errorBody, toFeatherError } from '../error-to-http.js';
import type { FeatherService } from '../service.js';
import { compileBody } from '../validation.js';
import { kTools } from './tools.js';

const kValidators = new Map(kTools.map((t) => [t.name, compileBody(t.input)]));

/** The result of a call, as MCP carries it: JSON text, and the same object as structured content. */
function result(value: unknown): CallToolResult {
  const structured = JSON.parse(JSON.stringify(value ?? null)) as Record<string, unknown>;
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

/** Runs one tool call: our errors become tool errors carrying `{ code, message, details }`. */
export async function callTool(service: FeatherService, name: string, args: unknown): Promise<CallToolResult> {
  try {
    const tool = kTools.find((t) => t.name === name);
    if (tool === undefined)
      throw new FeatherError('FEATHER_ERR_NOT_FOUND', `no tool ${JSON.stringify(name)}; tools/list names them`, { tool: name });
    const input = args ?? {};
    const validate = kValidators.get(name)!;
    if (!validate(input)) throw toFeatherError({ validation: validate.errors ?? [], validationContext: 'arguments' });
    return result(await tool.run(service, input as Record<string, unknown>));
  } catch (error) {
    const body = errorBody(toFeatherError(error));
    return { isError: true, content: [{ type: 'text', text: JSON.stringify(body) }] };
  }
}

export function createMcpServer(service: FeatherService, version: string): Server {
  const server = new Server({ name: 'feather-serve', version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: kTools.map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: JSON.parse(JSON.stringify(t.input)) as { type: 'object' },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, (request) => callTool(service, request.params.name, request.params.arguments));
  return server;
}
