// The `--web.config.file` flag on its own, so a server can take the flag without loading the web
// config machinery (YAML, bcrypt, TLS) until a file is actually given.
import { flag } from '../util/flags.js';

/** The flag every server takes, with exporter-toolkit's help text. */
export const webConfigFlag = {
  'web.config.file': flag.string('Path to configuration file that can enable TLS or authentication. See: https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md', ''),
};
