// The ceiling: a Fastify route that parses the JSON body and answers, doing no work.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/healthz', () => ({ status: 'ok' }));
app.post('/v1/transactions', (request) => ({ ok: true, size: Object.keys(request.body as object).length }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
