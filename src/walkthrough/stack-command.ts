// `promethium stack stop|start NAME` and `promethium stack status`: talk to a running `promethium
// start` through its control endpoint on 127.0.0.1, e.g. to stop the node exporter and watch the
// walkthrough's `up == 0` alert fire, then start it again and watch it resolve.
import { flag, parseFlags, reportExit } from '../util/flags.js';
import { versionText } from '../version.js';
import { DEFAULT_CONTROL_PORT } from './cli.js';

const specs = {
  'control.port': flag.custom('Port on 127.0.0.1 of the running stack\'s control endpoint (`promethium start --control.port`).', DEFAULT_CONTROL_PORT, String(DEFAULT_CONTROL_PORT), Number),
};

const USAGE = 'usage: promethium stack stop|start COMPONENT | promethium stack status (components: server, node-exporter, alertmanager)';

export async function main(argv: string[]): Promise<number> {
  const r = parseFlags({ name: 'promethium stack', description: `Stops, starts or lists the components of a running \`promethium start\`. ${USAGE}`, version: versionText('promethium') }, specs, argv, { allowArgs: true });
  if (r.kind === 'exit') return reportExit(r);
  const [action, name, ...extra] = r.args;
  const base = `http://127.0.0.1:${r.values['control.port']}`;
  let req: { url: string; method: string };
  if (action === 'status' && name === undefined) req = { url: `${base}/status`, method: 'GET' };
  else if ((action === 'stop' || action === 'start') && name !== undefined && extra.length === 0) req = { url: `${base}/components/${encodeURIComponent(name)}/${action}`, method: 'POST' };
  else {
    console.error(USAGE);
    return 2;
  }
  let res: Response;
  try {
    res = await fetch(req.url, { method: req.method });
  } catch (e) {
    console.error(`promethium stack: no running stack answers on ${base} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}); is \`npm start\` running, with this --control.port?`);
    return 1;
  }
  const body = (await res.json()) as Record<string, string>;
  if (!res.ok) {
    console.error(`promethium stack ${action}: ${body['error'] ?? res.statusText}`);
    return 1;
  }
  for (const [k, v] of Object.entries(body)) console.log(`${k.padEnd(14)} ${v}`);
  return 0;
}
