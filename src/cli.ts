// The `promethium` command line: one binary, subcommands in the style of the upstream tools.
// Each subcommand's argument handling lives in src/cli/ (the servers' flag-parsing entry points
// stay in src/<domain>/main.ts for now) and is loaded on demand, so `promethium node-exporter`
// does not load the TSDB addon. This file stays at src/cli.ts: bin/promethium.js loads dist/cli.js.

export type CommandMain = (argv: string[]) => Promise<number>;

interface Command {
  summary: string;
  load: () => Promise<CommandMain>;
}

const commands: Record<string, Command> = {
  server: {
    summary: 'The monitoring server: scrapes, stores, answers PromQL (Prometheus-compatible flags and API).',
    load: async () => (await import('./server/main.js')).main,
  },
  alertmanager: {
    summary: 'The Alertmanager: routing, grouping, inhibition, silences, e-mail and webhooks (API v2).',
    load: async () => (await import('./alertmanager/main.js')).main,
  },
  'node-exporter': {
    summary: 'The node exporter: machine metrics with node_exporter 1.5\'s names, labels and flags (:9100).',
    load: async () => (await import('./node-exporter/main.js')).main,
  },
  check: {
    summary: 'Check prometheus.yml, rule, alertmanager.yml and web config files (as `promtool check config|rules|web-config`, `amtool check-config`).',
    load: async () => async (argv) => (argv[0] === 'web-config' ? (await import('./cli/check-web-config.js')).main(argv.slice(1)) : (await import('./cli/check.js')).main(argv)),
  },
  test: {
    summary: 'Run rule unit tests written for `promtool test rules`.',
    load: async () => (await import('./cli/test-rules.js')).main,
  },
  start: {
    summary: 'Start the walkthrough stack (server, node exporter, Alertmanager, SMTP sink).',
    load: async () => (await import('./walkthrough/cli.js')).main,
  },
  stack: {
    summary: 'Stop, start or list the components of a running walkthrough stack (`stack stop node-exporter`).',
    load: async () => (await import('./walkthrough/stack-command.js')).main,
  },
};

export function commandNames(): string[] {
  return Object.keys(commands);
}

function usage(): string {
  const lines = ['usage: promethium <command> [flags]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(16)} ${c.summary}`);
  lines.push('', 'Run `promethium <command> --help` for the flags of a command, `promethium --version` for the versions.');
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    const { text, ok } = (await import('./cli/version.js')).versionReport();
    console.log(text);
    return ok ? 0 : 1;
  }
  const command = commands[name];
  if (command === undefined) {
    console.error(`promethium: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const main = await command.load();
  return main(rest);
}
