// The page at `/`: what this is and where the metrics are, as node_exporter's landing page.
import { buildInfo } from '../version.js';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function landingPage(telemetryPath: string): string {
  const b = buildInfo();
  const path = escapeHtml(telemetryPath);
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="UTF-8"><title>Node Exporter</title>
<style>body{font-family:-apple-system,system-ui,sans-serif;margin:0}header{background:#e6522c;color:#fff;padding:.5em 1em}main{padding:1em}</style></head>
<body>
<header><h1>Node Exporter</h1></header>
<main>
<p>Promethium node exporter ${escapeHtml(b.version)}: machine metrics with node_exporter's names.</p>
<ul><li><a href="${path}">Metrics</a></li></ul>
</main>
</body>
</html>
`;
}
