// os: the distribution, from os-release under the root filesystem.
import type { Collector } from './collector.js';

function parseOsRelease(text: string): Record<string, string> {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) kv[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1').replace(/\\(["$`\\])/g, '$1');
  }
  return kv;
}

export const osRelease: Collector = {
  name: 'os',
  enabledByDefault: true,
  async collect(h, out) {
    const text = (await h.readOptional(h.root('etc', 'os-release'))) ?? (await h.readOptional(h.root('usr', 'lib', 'os-release')));
    if (text === undefined) throw new Error(`no os-release file under ${h.root('etc')} or ${h.root('usr', 'lib')}`);
    const kv = parseOsRelease(text);
    const f = (k: string): string => kv[k] ?? '';
    out.add('node_os_info', "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.", 'gauge', 1, {
      build_id: f('BUILD_ID'), id: f('ID'), id_like: f('ID_LIKE'), image_id: f('IMAGE_ID'), image_version: f('IMAGE_VERSION'), name: f('NAME'), pretty_name: f('PRETTY_NAME'),
      variant: f('VARIANT'), variant_id: f('VARIANT_ID'), version: f('VERSION'), version_codename: f('VERSION_CODENAME'), version_id: f('VERSION_ID'),
    });
    // Only the major.minor part, as node_exporter parses it.
    const m = /^(\d+)(?:\.(\d+))?/.exec(f('VERSION_ID'));
    if (m) out.add('node_os_version', 'Metric containing the major.minor part of the OS version.', 'gauge', Number(m[2] === undefined ? m[1] : `${m[1]}.${m[2]}`), { id: f('ID'), id_like: f('ID_LIKE'), name: f('NAME') });
  },
};
