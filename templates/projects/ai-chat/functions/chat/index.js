// chat: answers one user turn of a thread.
//
// POST {thread_id, message} -> {reply, message_id}
// Contract (see templates/README.md in the appctl repository): a plain HTTP server on
// 0.0.0.0:$PORT; the gateway passes the caller's `Authorization: Bearer <jwt>` through and
// sets APPCTL_API_URL. Every database call here runs *as the caller*, so the tables'
// row-level security decides what this function may read and write on their behalf.
// No dependencies: Node 20 built-ins and the global fetch only.
'use strict';

const http = require('node:http');

const API_URL = (process.env.APPCTL_API_URL || 'http://localhost:8000').replace(/\/+$/, '');
const OPENAI_API_KEY = process.env.OPENAI_API_KEY || '';
const OPENAI_BASE_URL = (process.env.OPENAI_BASE_URL || 'https://api.openai.com/v1').replace(/\/+$/, '');
const CHAT_MODEL = process.env.CHAT_MODEL || 'gpt-4o-mini';
const SYSTEM_PROMPT = process.env.CHAT_SYSTEM_PROMPT || 'You are a helpful assistant. Answer concisely.';

const MAX_BODY_BYTES = 1 << 20; // a chat turn is text; anything bigger is a mistake or abuse
const MAX_MESSAGE_CHARS = 32000;
const HISTORY_LIMIT = 20; // recent turns sent to the model: bounds cost and latency
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// An error that carries the HTTP status to answer with.
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// PostgREST call as the caller. `apikey` mirrors what Supabase clients send; when the caller
// sent none, their JWT serves as both (the gateway accepts either).
async function rest(auth, method, path, body, prefer) {
  const headers = { Authorization: auth.authorization, apikey: auth.apikey, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (prefer) headers.Prefer = prefer;
  let res;
  try {
    res = await fetch(`${API_URL}/rest/v1/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15000),
    });
  } catch (err) {
    throw new HttpError(502, `database API unreachable at ${API_URL}: ${err.message}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try { detail = JSON.parse(text).message || text; } catch (_) { /* not JSON: keep the text */ }
    // 4xx are the caller's (expired JWT, row-level security, bad id): pass them on; 5xx are ours.
    const status = res.status >= 400 && res.status < 500 ? res.status : 502;
    throw new HttpError(status, `${method} ${path.split('?')[0]} failed (${res.status}): ${detail}`);
  }
  return text ? JSON.parse(text) : null;
}

// The deterministic stand-in for the model, so `appctl up` works without an API key.
function offlineReply(message) {
  const echo = message.length > 500 ? `${message.slice(0, 500)}…` : message;
  return { content: `(offline) You said: ${echo}`, tokens: null, model: 'offline' };
}

async function modelReply(model, history) {
  const messages = [{ role: 'system', content: SYSTEM_PROMPT }]
    .concat(history.map((m) => ({ role: m.role, content: m.content })));
  let res;
  try {
    res = await fetch(`${OPENAI_BASE_URL}/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${OPENAI_API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model, messages }),
      signal: AbortSignal.timeout(45000), // below the function's 60s timeout, so we can still answer
    });
  } catch (err) {
    throw new HttpError(502, `model request failed: ${err.message}`);
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const detail = (data.error && data.error.message) || res.statusText;
    throw new HttpError(502, `model request failed (${res.status}): ${detail}`);
  }
  const content = data.choices && data.choices[0] && data.choices[0].message && data.choices[0].message.content;
  if (typeof content !== 'string') throw new HttpError(502, 'model returned no message');
  return { content, tokens: (data.usage && data.usage.completion_tokens) || null, model: data.model || model };
}

async function chat(auth, input) {
  const { thread_id: threadId, message } = input;
  if (typeof threadId !== 'string' || !UUID_RE.test(threadId)) {
    throw new HttpError(400, '`thread_id` must be a UUID string');
  }
  if (typeof message !== 'string' || message.trim() === '') {
    throw new HttpError(400, '`message` must be a non-empty string');
  }
  if (message.length > MAX_MESSAGE_CHARS) {
    throw new HttpError(413, `\`message\` is longer than ${MAX_MESSAGE_CHARS} characters`);
  }

  // Reading the thread as the caller proves they own it: messages' RLS checks only owner_id,
  // so without this a user could post into someone else's thread by guessing its id.
  const threads = await rest(auth, 'GET', `threads?id=eq.${threadId}&select=id,model`);
  if (!threads.length) throw new HttpError(404, `thread ${threadId} not found`);
  const model = threads[0].model || CHAT_MODEL;

  await rest(auth, 'POST', 'messages', { thread_id: threadId, role: 'user', content: message }, 'return=minimal');

  // Newest first from the database, then oldest first for the model.
  const recent = await rest(auth, 'GET',
    `messages?thread_id=eq.${threadId}&select=role,content&order=created_at.desc,id.desc&limit=${HISTORY_LIMIT}`);
  const history = recent.reverse().filter((m) => m.role !== 'tool');

  const reply = OPENAI_API_KEY ? await modelReply(model, history) : offlineReply(message);

  const inserted = await rest(auth, 'POST', 'messages', {
    thread_id: threadId,
    role: 'assistant',
    content: reply.content,
    tokens: reply.tokens,
    metadata: { model: reply.model, offline: !OPENAI_API_KEY },
  }, 'return=representation');

  // Keeps thread lists ordered by activity; a failure here must not lose the reply.
  await rest(auth, 'PATCH', `threads?id=eq.${threadId}`, { updated_at: new Date().toISOString() }, 'return=minimal')
    .catch((err) => console.error(`chat: could not touch thread ${threadId}: ${err.message}`));

  return { reply: reply.content, message_id: inserted[0].id };
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req, res) {
  const path = new URL(req.url, 'http://function').pathname;
  if (path === '/health' || path.endsWith('/health')) {
    return send(res, req.method === 'GET' ? 200 : 405, req.method === 'GET' ? { ok: true } : { error: 'use GET' });
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    return send(res, 405, { error: 'use POST with a JSON body {thread_id, message}' });
  }
  const authorization = req.headers.authorization || '';
  if (!/^Bearer\s+\S+/i.test(authorization)) {
    return send(res, 401, { error: 'missing `Authorization: Bearer <jwt>`: chat runs as the signed-in user' });
  }
  const auth = { authorization, apikey: req.headers.apikey || authorization.replace(/^Bearer\s+/i, '') };

  let input;
  try {
    input = JSON.parse(await readBody(req));
  } catch (err) {
    if (err instanceof HttpError) return send(res, err.status, { error: err.message });
    return send(res, 400, { error: `request body is not valid JSON: ${err.message}` });
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return send(res, 400, { error: 'request body must be a JSON object {thread_id, message}' });
  }
  return send(res, 200, await chat(auth, input));
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    const status = err instanceof HttpError ? err.status : 500;
    if (status >= 500) console.error(`chat: ${err.stack || err.message}`);
    if (!res.headersSent) send(res, status, { error: err.message });
  });
});

const port = Number(process.env.PORT || 8080);
server.listen(port, '0.0.0.0', () => console.log(`chat listening on 0.0.0.0:${port}`));

// Containers stop with SIGTERM: finish in-flight requests, then exit.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
