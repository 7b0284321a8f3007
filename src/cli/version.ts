// `promethium --version`: the package's build information, then the native addon's version and
// which binary was loaded (the prebuilt platform package or a local build), so a bug report says
// exactly what ran.
import { versionText } from '../version.js';
import { nativeInfo } from '../storage/index.js';

export function versionReport(): { text: string; ok: boolean } {
  const lines = [versionText('promethium')];
  try {
    const { version, from } = nativeInfo();
    lines.push(`  native addon:     ${version} (${from})`);
    return { text: lines.join('\n'), ok: true };
  } catch (e) {
    lines.push(`  native addon:     not available: ${(e as Error).message}`);
    return { text: lines.join('\n'), ok: false };
  }
}
