// The floor under the idle figure: node running a fastify server with one route, nothing else,
// started exactly as `promethium server` is (plain node, no loader). bench/idle.ts samples its RSS
// next to ours and Prometheus's, so the run shows how much of ours the runtime and the HTTP
// framework that the design names account for. Usage: node bench/idle-floor.mjs PORT
import Fastify from 'fastify';

const app = Fastify();
app.get('/-/healthy', async () => 'ok');
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' });
// The line bench/idle.ts waits for, as the servers log it.
console.error('Server is ready to receive web requests.');
