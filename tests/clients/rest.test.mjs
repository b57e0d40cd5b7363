// @supabase/supabase-js against appctl's REST service at /rest/v1, behind the gateway, on the
// ai-chat template. Run by tests/it/clients.rs, which starts the stack and passes its URL, keys and
// two users' tokens in the environment. Each test names the docs/rest.md row it covers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@supabase/supabase-js';
import ws from 'ws';

const env = process.env;
for (const name of ['APPCTL_URL', 'APPCTL_ANON_KEY', 'APPCTL_SERVICE_KEY', 'APPCTL_TOKEN_A', 'APPCTL_TOKEN_B']) {
  assert.ok(env[name], `${name} is not set: run this suite through cargo test (tests/it/clients.rs)`);
}
const url = env.APPCTL_URL;
// `ws`: Node 20 has no WebSocket of its own, and supabase-js builds its realtime client eagerly.
const options = { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws } };
/** A client whose requests carry `token` (a user's JWT), else the key itself. */
const client = (key, token) =>
  createClient(url, key, token ? { ...options, accessToken: async () => token } : options);
const anon = client(env.APPCTL_ANON_KEY);
const service = client(env.APPCTL_SERVICE_KEY);
const alice = client(env.APPCTL_ANON_KEY, env.APPCTL_TOKEN_A);
const bob = client(env.APPCTL_ANON_KEY, env.APPCTL_TOKEN_B);
const ALICE = env.APPCTL_USER_A;
const BOB = env.APPCTL_USER_B;

/** The answer's data, failing with the error's message when there is one. */
function ok({ data, error }) {
  assert.equal(error, null, error && `${error.code}: ${error.message} ${error.details ?? ''}`);
  return data;
}

/** The answer's error, failing when there is none. */
function failed(answer, status, code) {
  assert.ok(answer.error, `expected an error, got ${JSON.stringify(answer.data)}`);
  assert.equal(answer.status, status, JSON.stringify(answer.error));
  if (code) assert.equal(answer.error.code, code, JSON.stringify(answer.error));
  assert.equal(typeof answer.error.message, 'string');
  assert.ok(answer.error.message.length > 0);
  return answer.error;
}

let threadA; // Alice's first thread
let threadB; // Bob's thread

test('POST /table: insert one with return=representation (default owner from auth.uid())', async () => {
  threadA = ok(await alice.from('threads').insert({ title: 'alpha plans' }).select().single());
  assert.equal(threadA.owner_id, ALICE);
  assert.equal(threadA.title, 'alpha plans');
  assert.equal(threadA.model, 'gpt-4o-mini');
  threadB = ok(await bob.from('threads').insert({ title: 'bob only' }).select('id, owner_id').single());
  assert.equal(threadB.owner_id, BOB);
});

test('POST /table: bulk insert, return=minimal answers no body', async () => {
  const minimal = await alice.from('threads').insert([{ title: 'alpha notes' }, { title: 'beta' }]);
  assert.equal(minimal.error, null);
  assert.equal(minimal.status, 201);
  assert.equal(minimal.data, null);
  const rows = ok(
    await alice
      .from('messages')
      .insert([
        { thread_id: threadA.id, role: 'user', content: 'hello world', tokens: 2, metadata: { source: 'web', tags: ['a'] } },
        { thread_id: threadA.id, role: 'assistant', content: 'Hello Alice, how are the plans?', tokens: 7 },
        { thread_id: threadA.id, role: 'user', content: 'the cat sat on the mat', tokens: 6, metadata: { source: 'mobile' } },
      ], { defaultToNull: false })
      .select('id, role, tokens, metadata'),
  );
  assert.deepEqual(rows.map((r) => r.role), ['user', 'assistant', 'user']);
  assert.deepEqual(rows[1].metadata, {}, 'missing=default: the column default, not null');
  // supabase-js's default for bulk inserts is columns= without missing=default: a missing key is
  // null, as in PostgREST, so a NOT NULL column with a default fails.
  failed(
    await alice.from('messages').insert([
      { thread_id: threadA.id, role: 'user', content: 'x', metadata: {} },
      { thread_id: threadA.id, role: 'user', content: 'y' },
    ]),
    400,
    '23502',
  );
});

test('GET /table: select columns, aliases and casts', async () => {
  const rows = ok(
    await alice.from('threads').select('name:title, id::text, model').eq('id', threadA.id),
  );
  assert.deepEqual(rows, [{ name: 'alpha plans', id: threadA.id, model: 'gpt-4o-mini' }]);
});

test('GET /table: filters eq neq gt gte lt lte like ilike in is not or', async () => {
  const titles = async (query) => ok(await query).map((r) => r.title).sort();
  const threads = () => alice.from('threads').select('title');
  assert.deepEqual(await titles(threads().eq('title', 'beta')), ['beta']);
  assert.deepEqual(await titles(threads().neq('title', 'beta')), ['alpha notes', 'alpha plans']);
  assert.deepEqual(await titles(threads().like('title', 'alpha%')), ['alpha notes', 'alpha plans']);
  assert.deepEqual(await titles(threads().ilike('title', 'ALPHA N%')), ['alpha notes']);
  assert.deepEqual(await titles(threads().in('title', ['beta', 'alpha notes', 'nope'])), ['alpha notes', 'beta']);
  assert.deepEqual(await titles(threads().not('title', 'like', 'alpha%')), ['beta']);
  assert.deepEqual(await titles(threads().or('title.eq.beta,title.eq.alpha plans')), ['alpha plans', 'beta']);
  assert.deepEqual(await titles(threads().is('title', null)), []);
  const tokens = async (query) => ok(await query).map((r) => r.tokens).sort((a, b) => a - b);
  const messages = () => alice.from('messages').select('tokens');
  assert.deepEqual(await tokens(messages().gt('tokens', 2)), [6, 7]);
  assert.deepEqual(await tokens(messages().gte('tokens', 6)), [6, 7]);
  assert.deepEqual(await tokens(messages().lt('tokens', 6)), [2]);
  assert.deepEqual(await tokens(messages().lte('tokens', 6)), [2, 6]);
  assert.deepEqual(await tokens(messages().or('tokens.lt.3,and(tokens.gt.6,role.eq.assistant)')), [2, 7]);
  assert.deepEqual(await tokens(messages().match({ role: 'user', tokens: 6 })), [6]);
});

test('GET /table: JSON paths in select, filters and containment', async () => {
  const rows = ok(
    await alice
      .from('messages')
      .select('source:metadata->>source, first_tag:metadata->tags->>0')
      .eq('metadata->>source', 'web'),
  );
  assert.deepEqual(rows, [{ source: 'web', first_tag: 'a' }]);
  const contained = ok(await alice.from('messages').select('content').contains('metadata', { source: 'mobile' }));
  assert.deepEqual(contained, [{ content: 'the cat sat on the mat' }]);
});

test('GET /table: full-text search with a config', async () => {
  const rows = ok(
    await alice.from('messages').select('content').textSearch('content', 'cats & mat', { config: 'english' }),
  );
  assert.deepEqual(rows, [{ content: 'the cat sat on the mat' }]);
  const phrase = ok(
    await alice.from('messages').select('content').textSearch('content', 'hello world', { type: 'phrase', config: 'english' }),
  );
  assert.deepEqual(phrase, [{ content: 'hello world' }]);
});

test('GET /table: order, limit, range, count=exact with Content-Range, HEAD', async () => {
  const ordered = ok(await alice.from('threads').select('title').order('title', { ascending: false }).limit(2));
  assert.deepEqual(ordered.map((r) => r.title), ['beta', 'alpha plans']);
  const page = await alice.from('threads').select('title', { count: 'exact' }).order('title').range(1, 2);
  assert.deepEqual(ok(page).map((r) => r.title), ['alpha plans', 'beta']);
  assert.equal(page.count, 3);
  const head = await alice.from('messages').select('*', { count: 'exact', head: true });
  assert.equal(head.error, null);
  assert.equal(head.count, 3);
  assert.equal(head.data, null);
  const nulls = ok(await alice.from('messages').select('tokens').order('tokens', { ascending: true, nullsFirst: true }));
  assert.deepEqual(nulls.map((r) => r.tokens), [2, 6, 7]);
});

test('GET /table: count planned (from EXPLAIN) and estimated (exact without a row cap)', async () => {
  const planned = await alice.from('messages').select('*', { count: 'planned', head: true });
  assert.equal(planned.error, null);
  assert.equal(typeof planned.count, 'number');
  assert.ok(planned.count >= 0);
  const estimated = await alice.from('messages').select('id', { count: 'estimated' }).limit(1);
  assert.equal(estimated.error, null);
  assert.equal(estimated.count, 3);
});

test('GET /table: embeds one-to-many and many-to-one, with order and limit inside', async () => {
  const thread = ok(
    await alice
      .from('threads')
      .select('title, messages(role, content)')
      .eq('id', threadA.id)
      .order('id', { referencedTable: 'messages', ascending: false })
      .limit(2, { referencedTable: 'messages' })
      .single(),
  );
  assert.equal(thread.title, 'alpha plans');
  assert.equal(thread.messages.length, 2);
  assert.deepEqual(thread.messages.map((m) => m.content), ['the cat sat on the mat', 'Hello Alice, how are the plans?']);
  const messages = ok(await alice.from('messages').select('content, thread:threads(title)').eq('tokens', 2));
  assert.deepEqual(messages, [{ content: 'hello world', thread: { title: 'alpha plans' } }]);
});

test('GET /table: !inner embeds filter their parents', async () => {
  const withAssistant = ok(
    await alice.from('threads').select('title, messages!inner(role)').eq('messages.role', 'assistant'),
  );
  assert.deepEqual(withAssistant, [{ title: 'alpha plans', messages: [{ role: 'assistant' }] }]);
  const all = ok(await alice.from('threads').select('title, messages(role)').eq('messages.role', 'assistant'));
  assert.equal(all.length, 3, 'a plain embed filters the children only');
});

test('Accept: vnd.pgrst.object+json: single and maybeSingle, PGRST116 otherwise', async () => {
  const one = ok(await alice.from('threads').select('title').eq('title', 'beta').single());
  assert.deepEqual(one, { title: 'beta' });
  const none = await alice.from('threads').select('title').eq('title', 'nothing').maybeSingle();
  assert.equal(none.error, null);
  assert.equal(none.data, null);
  failed(await alice.from('threads').select('title').single(), 406, 'PGRST116');
});

test('PATCH and DELETE with filters, with and without representation', async () => {
  const updated = ok(await alice.from('threads').update({ title: 'beta two' }).eq('title', 'beta').select('title'));
  assert.deepEqual(updated, [{ title: 'beta two' }]);
  const quiet = await alice.from('threads').update({ title: 'beta three' }).eq('title', 'beta two');
  assert.equal(quiet.error, null);
  assert.equal(quiet.status, 204);
  const deleted = ok(await alice.from('threads').delete().eq('title', 'beta three').select('title'));
  assert.deepEqual(deleted, [{ title: 'beta three' }]);
  assert.equal(ok(await alice.from('threads').select('id').eq('title', 'beta three')).length, 0);
});

test('upsert: merge-duplicates, ignore-duplicates, on_conflict', async () => {
  const doc = ok(await alice.from('documents').insert({ title: 'paper' }).select('id, status').single());
  assert.equal(doc.status, 'pending');
  const merged = ok(
    await alice.from('documents').upsert({ id: doc.id, title: 'paper v2', status: 'ready' }).select('title, status'),
  );
  assert.deepEqual(merged, [{ title: 'paper v2', status: 'ready' }]);
  const ignored = ok(
    await alice
      .from('documents')
      .upsert({ id: doc.id, title: 'ignored' }, { onConflict: 'id', ignoreDuplicates: true })
      .select('title'),
  );
  assert.deepEqual(ignored, []);
  const chunk = { document_id: doc.id, owner_id: ALICE, position: 0, content: 'c', embedding: `[${Array(1536).fill(0.5)}]` };
  ok(await service.from('chunks').insert(chunk));
  const replaced = ok(
    await service
      .from('chunks')
      .upsert({ ...chunk, content: 'replaced' }, { onConflict: 'document_id,position' })
      .select('content'),
  );
  assert.deepEqual(replaced, [{ content: 'replaced' }]);
});

test('RLS: users cannot read, change, delete or forge each other\'s rows', async () => {
  assert.deepEqual(ok(await bob.from('threads').select('id').eq('id', threadA.id)), []);
  assert.deepEqual(ok(await bob.from('messages').select('id').eq('thread_id', threadA.id)), []);
  assert.deepEqual(ok(await bob.from('threads').update({ title: 'stolen' }).eq('id', threadA.id).select()), []);
  assert.deepEqual(ok(await bob.from('threads').delete().eq('id', threadA.id).select()), []);
  failed(await bob.from('threads').insert({ title: 'forged', owner_id: ALICE }), 403, '42501');
  const still = ok(await alice.from('threads').select('title').eq('id', threadA.id).single());
  assert.equal(still.title, 'alpha plans');
  const own = ok(await bob.from('threads').select('id'));
  assert.deepEqual(own.map((r) => r.id), [threadB.id]);
});

test('RLS: anon is denied where the file says owner; service_role only where it says service', async () => {
  const denied = failed(await anon.from('threads').select('id'), 401, '42501');
  assert.match(denied.message, /permission denied/);
  failed(await anon.from('threads').insert({ title: 'anon' }), 401, '42501');
  // threads lists no `service`: closed to the service key too (docs/permissions.md).
  failed(await service.from('threads').select('id'), 403, '42501');
  // chunks: `write: [service]`; the service role bypasses RLS and sees Alice's rows.
  const chunks = ok(await service.from('chunks').select('owner_id'));
  assert.deepEqual(chunks.map((r) => r.owner_id), [ALICE]);
  assert.deepEqual(ok(await bob.from('chunks').select('id')), []);
});

test('RPC: POST with named arguments, GET for stable functions, setof filtered and ordered', async () => {
  assert.equal(ok(await alice.rpc('my_thread_count')), 2);
  assert.equal(ok(await alice.rpc('my_thread_count', {}, { get: true })), 2);
  const titled = ok(
    await alice.rpc('threads_titled', { prefix: 'alpha' }).select('title').order('title', { ascending: false }),
  );
  assert.deepEqual(titled, [{ title: 'alpha plans' }, { title: 'alpha notes' }]);
  const filtered = ok(await alice.rpc('threads_titled', { prefix: 'alpha' }, { get: true }).eq('title', 'alpha notes'));
  assert.equal(filtered.length, 1);
  const renamed = ok(await alice.rpc('rename_thread', { thread: threadA.id, new_title: 'alpha plans' }));
  assert.equal(renamed.id, threadA.id);
  failed(await alice.rpc('no_such_function'), 404, 'PGRST202');
  failed(await anon.rpc('my_thread_count'), 401, '42501');
});

test('errors: PostgREST codes and statuses reach error.message', async () => {
  failed(await alice.from('no_such_table').select(), 404, 'PGRST205');
  failed(await alice.from('threads').select('nope'), 400, '42703');
  failed(await alice.from('threads').select().eq('id', 'not-a-uuid'), 400, '22P02');
  failed(await alice.from('threads').select('title,').limit(1), 400, 'PGRST100');
  failed(await alice.from('threads').select('title, no_rel(*)'), 400, 'PGRST200');
  failed(await alice.from('messages').insert({ thread_id: '00000000-0000-4000-8000-000000000000', role: 'user', content: 'x' }), 409, '23503');
  const doc = ok(await service.from('chunks').select('document_id, owner_id, position, content, embedding').limit(1).single());
  failed(await service.from('chunks').insert(doc), 409, '23505');
  failed(await alice.from('messages').insert({ thread_id: threadA.id, role: 'wizard', content: 'x' }), 400, '22P02');
});

test('hostile input: SQL in names and values is refused or bound, nothing runs', async () => {
  failed(await alice.from('threads').select('id; drop table public.threads; --'), 400);
  failed(await alice.from('threads').select('id').order('title; drop table public.threads'), 400);
  failed(await alice.from('threads"; drop table public.threads; --').select(), 404, 'PGRST205');
  failed(await alice.from('threads').select('id').eq('title"; drop table public.threads; --', 'x'), 400);
  assert.deepEqual(ok(await alice.from('threads').select('id').eq('title', "'; drop table public.threads; --")), []);
  failed(await alice.from('messages').select('id').eq("metadata->>x'); drop table public.threads; --", 'y'), 400, 'PGRST100');
  failed(await alice.from('threads').select('id').filter('title', 'nope', 'x'), 400, 'PGRST100');
  assert.equal(ok(await alice.from('threads').select('id')).length, 2, 'the table is intact');
});

test('tokens: expired, signed with another secret, alg none, garbage: 401 in PostgREST shape', async () => {
  const expired = client(env.APPCTL_ANON_KEY, env.APPCTL_TOKEN_EXPIRED);
  failed(await expired.from('threads').select('id'), 401, 'PGRST303');
  const foreign = client(env.APPCTL_ANON_KEY, env.APPCTL_TOKEN_OTHER_SECRET);
  failed(await foreign.from('threads').select('id'), 401, 'PGRST301');
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'service_role', sub: ALICE })}.`;
  failed(await client(env.APPCTL_ANON_KEY, none).from('threads').select('id'), 401, 'PGRST301');
  failed(await client(env.APPCTL_ANON_KEY, 'not.a.jwt').from('threads').select('id'), 401, 'PGRST301');
});

test('limits: a body over the limit is 413, the service is fine after', async () => {
  const big = 'x'.repeat(Number(env.APPCTL_MAX_BODY_BYTES) + 1024);
  failed(await alice.from('messages').insert({ thread_id: threadA.id, role: 'user', content: big }), 413, 'APPCTL413');
  const { count } = await alice.from('messages').select('*', { count: 'exact', head: true });
  assert.equal(count, 3, 'nothing was inserted');
  assert.equal(ok(await alice.from('threads').select('id')).length, 2);
});

test('the gateway\'s own errors are in PostgREST\'s shape', async () => {
  const answer = await fetch(`${url}/storage/v1/bucket`, { headers: { apikey: env.APPCTL_ANON_KEY } });
  assert.equal(answer.status, 503);
  const body = await answer.json();
  assert.equal(body.code, 'APPCTL503');
  assert.match(body.message, /storage\/v1 is not part of this stack/);
  const { data, error } = await alice.storage.listBuckets();
  assert.equal(data, null);
  assert.match(error.message, /not part of this stack/);
});

test('Accept: text/csv: .csv() answers a header row and a line per row; other types 406', async () => {
  const rows = ok(await alice.from('threads').select('title, model').order('title'));
  const answer = await alice.from('threads').select('title, model').order('title').csv();
  assert.equal(answer.error, null, JSON.stringify(answer.error));
  assert.equal(answer.status, 200);
  assert.equal(typeof answer.data, 'string');
  // RFC 4180 quoting; an empty string is "" and NULL an empty field.
  const field = (v) => (v === null ? '' : /[",\n\r]|^ | $|^$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const expected = ['title,model', ...rows.map((r) => `${field(r.title)},${field(r.model)}`)];
  assert.deepEqual(answer.data.split('\n'), expected);
  failed(await alice.from('threads').select('title').geojson(), 406, 'PGRST107');
});
