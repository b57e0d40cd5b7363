// The ai-chat template's `chat` function through the gateway, called with supabase-js's
// functions client: it reads and writes through /rest/v1 as the caller, so RLS applies to it too.
// Run by tests/it/clients.rs (the function runs without a model key: it answers offline).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, FunctionsHttpError } from '@supabase/supabase-js';
import ws from 'ws';

const env = process.env;
const options = { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws } };
const carol = createClient(env.APPCTL_URL, env.APPCTL_ANON_KEY, { ...options, accessToken: async () => env.APPCTL_TOKEN_C });
const bob = createClient(env.APPCTL_URL, env.APPCTL_ANON_KEY, { ...options, accessToken: async () => env.APPCTL_TOKEN_B });
const anon = createClient(env.APPCTL_URL, env.APPCTL_ANON_KEY, options);

/** The status and JSON body of a functions error. */
async function failure({ data, error }) {
  assert.equal(data, null);
  assert.ok(error instanceof FunctionsHttpError, String(error));
  return { status: error.context.status, body: await error.context.json() };
}

test('chat answers a turn offline and stores both messages as the caller', async () => {
  const { data: thread, error } = await carol.from('threads').insert({ title: 'ask' }).select('id').single();
  assert.equal(error, null);
  const answer = await carol.functions.invoke('chat', { body: { thread_id: thread.id, message: 'what is appctl?' } });
  assert.equal(answer.error, null, String(answer.error));
  assert.equal(answer.data.reply, '(offline) You said: what is appctl?');
  const { data: messages } = await carol
    .from('messages')
    .select('id, role, content, metadata')
    .eq('thread_id', thread.id)
    .order('id');
  assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant']);
  assert.equal(messages[1].id, answer.data.message_id);
  assert.deepEqual(messages[1].metadata, { model: 'offline', offline: true });
});

test('chat on another user\'s thread is 404: RLS hides it from the function too', async () => {
  const { data: thread } = await carol.from('threads').insert({ title: 'private' }).select('id').single();
  const { status, body } = await failure(await bob.functions.invoke('chat', { body: { thread_id: thread.id, message: 'hi' } }));
  assert.equal(status, 404);
  assert.match(body.error, /not found/);
  const { count } = await carol.from('messages').select('*', { count: 'exact', head: true }).eq('thread_id', thread.id);
  assert.equal(count, 0);
});

test('chat refuses anon at the gateway (execute: users) and bad input in the function', async () => {
  const denied = await failure(await anon.functions.invoke('chat', { body: { thread_id: 'x', message: 'hi' } }));
  assert.equal(denied.status, 403);
  assert.equal(denied.body.code, 'APPCTL403');
  const bad = await failure(await carol.functions.invoke('chat', { body: { thread_id: 'not-a-uuid', message: 'hi' } }));
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /thread_id/);
});
