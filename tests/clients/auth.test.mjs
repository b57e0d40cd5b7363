// @supabase/supabase-js's auth client against appctl's auth service at /auth/v1 (behind the
// gateway), then REST as the users it signed in. Run by tests/it/clients.rs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, AuthApiError, AuthWeakPasswordError } from '@supabase/supabase-js';
import ws from 'ws';

const env = process.env;
const options = { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws } };
/** A client of its own: each keeps its user's session in memory. */
const fresh = () => createClient(env.APPCTL_URL, env.APPCTL_ANON_KEY, options);

const dana = fresh();
const erin = fresh();
let danaSession;

test('signUp: a confirmed user with metadata and a session (autoconfirm)', async () => {
  const { data, error } = await dana.auth.signUp({
    email: 'Dana@Example.com',
    password: 'correct horse',
    options: { data: { name: 'Dana' } },
  });
  assert.equal(error, null, String(error));
  assert.equal(data.user.email, 'dana@example.com');
  assert.equal(data.user.user_metadata.name, 'Dana');
  assert.equal(data.user.app_metadata.provider, 'email');
  assert.ok(data.user.email_confirmed_at);
  assert.deepEqual(data.user.identities.map((i) => i.provider), ['email']);
  assert.ok(data.session.access_token);
  assert.ok(data.session.refresh_token);
  assert.equal(data.session.token_type, 'bearer');
  danaSession = data.session;
  const claims = JSON.parse(Buffer.from(data.session.access_token.split('.')[1], 'base64url'));
  assert.equal(claims.sub, data.user.id);
  assert.equal(claims.role, 'authenticated');
  assert.equal(claims.aud, 'authenticated');
  assert.equal(claims.email, 'dana@example.com');
  assert.equal(claims.aal, 'aal1');
  assert.equal(claims.is_anonymous, false);
  assert.ok(claims.session_id);
  assert.equal(claims.exp - claims.iat, 3600);
});

test('signUp refuses a taken email, a weak password and a malformed email', async () => {
  const taken = await fresh().auth.signUp({ email: 'dana@example.com', password: 'another one' });
  assert.ok(taken.error instanceof AuthApiError);
  assert.equal(taken.error.status, 422);
  assert.equal(taken.error.code, 'user_already_exists');
  const weak = await fresh().auth.signUp({ email: 'weak@example.com', password: '123' });
  assert.ok(weak.error instanceof AuthWeakPasswordError, String(weak.error));
  assert.deepEqual(weak.error.reasons, ['length']);
  const control = await fresh().auth.signUp({ email: 'bad\u0000@example.com', password: 'long enough' });
  assert.equal(control.error.status, 400);
  assert.equal(control.error.code, 'validation_failed');
  assert.match(control.error.message, /email/);
});

test('signInWithPassword: one error for a wrong password and an unknown email', async () => {
  const wrong = await erin.auth.signInWithPassword({ email: 'dana@example.com', password: 'wrong horse' });
  const unknown = await erin.auth.signInWithPassword({ email: 'nobody@example.com', password: 'wrong horse' });
  for (const answer of [wrong, unknown]) {
    assert.equal(answer.data.session, null);
    assert.equal(answer.error.status, 400);
    assert.equal(answer.error.code, 'invalid_credentials');
    assert.equal(answer.error.message, 'Invalid login credentials');
  }
  const { data, error } = await erin.auth.signUp({ email: 'erin@example.com', password: 'erin password' });
  assert.equal(error, null);
  const signedIn = await fresh().auth.signInWithPassword({ email: 'erin@example.com', password: 'erin password' });
  assert.equal(signedIn.error, null);
  assert.equal(signedIn.data.user.id, data.user.id);
  assert.ok(signedIn.data.user.last_sign_in_at);
});

test('REST as the signed-in users: RLS keeps their rows apart', async () => {
  const mine = await dana.from('threads').insert({ title: 'dana only' }).select('id, owner_id').single();
  assert.equal(mine.error, null, JSON.stringify(mine.error));
  const { data: { user } } = await dana.auth.getUser();
  assert.equal(mine.data.owner_id, user.id);
  const seen = await erin.from('threads').select('id').eq('id', mine.data.id);
  assert.deepEqual(seen.data, []);
  const own = await dana.from('threads').select('title');
  assert.deepEqual(own.data, [{ title: 'dana only' }]);
});

test('getUser and updateUser: metadata merged, a new password works', async () => {
  const got = await dana.auth.getUser();
  assert.equal(got.error, null);
  assert.equal(got.data.user.email, 'dana@example.com');
  const updated = await dana.auth.updateUser({ data: { plan: 'pro' } });
  assert.equal(updated.error, null, String(updated.error));
  assert.deepEqual(updated.data.user.user_metadata, { name: 'Dana', plan: 'pro' });
  const changed = await dana.auth.updateUser({ password: 'battery staple' });
  assert.equal(changed.error, null);
  const old = await fresh().auth.signInWithPassword({ email: 'dana@example.com', password: 'correct horse' });
  assert.equal(old.error.code, 'invalid_credentials');
  const renewed = await fresh().auth.signInWithPassword({ email: 'dana@example.com', password: 'battery staple' });
  assert.equal(renewed.error, null);
});

test('refresh: the token rotates; a used one presented again ends the session', async () => {
  const first = await dana.auth.refreshSession({ refresh_token: danaSession.refresh_token });
  assert.equal(first.error, null, String(first.error));
  assert.notEqual(first.data.session.refresh_token, danaSession.refresh_token);
  assert.notEqual(first.data.session.access_token, danaSession.access_token);
  const replay = await fresh().auth.refreshSession({ refresh_token: danaSession.refresh_token });
  assert.equal(replay.error.code, 'refresh_token_already_used');
  // The reuse revoked the whole session: its newest token is gone too.
  const child = await fresh().auth.refreshSession({ refresh_token: first.data.session.refresh_token });
  assert.equal(child.error.code, 'refresh_token_not_found');
  const forged = await fresh().auth.refreshSession({ refresh_token: 'not-a-token' });
  assert.equal(forged.error.code, 'refresh_token_not_found');
});

test('signOut ends the session: its access token is refused afterwards', async () => {
  const session = await fresh().auth.signInWithPassword({ email: 'erin@example.com', password: 'erin password' });
  const client = fresh();
  await client.auth.setSession(session.data.session);
  const token = session.data.session.access_token;
  assert.equal((await client.auth.getUser(token)).error, null);
  const out = await client.auth.signOut();
  assert.equal(out.error, null);
  const after = await fresh().auth.getUser(token);
  // The server's 403 `session_not_found`, which auth-js turns into this error.
  assert.equal(after.error?.name, 'AuthSessionMissingError', String(after.error));
});

test('tokens: forged, expired and alg none are refused by /user', async () => {
  const expired = await fresh().auth.getUser(env.APPCTL_TOKEN_EXPIRED);
  assert.equal(expired.error.status, 403);
  assert.equal(expired.error.code, 'bad_jwt');
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: '11111111-1111-4111-8111-111111111111', role: 'authenticated' })}.`;
  assert.equal((await fresh().auth.getUser(none)).error.code, 'bad_jwt');
  assert.equal((await fresh().auth.getUser(env.APPCTL_TOKEN_OTHER_SECRET)).error.code, 'bad_jwt');
});

test('settings and health', async () => {
  const settings = await (await fetch(`${env.APPCTL_URL}/auth/v1/settings`, { headers: { apikey: env.APPCTL_ANON_KEY } })).json();
  assert.equal(settings.disable_signup, false);
  assert.equal(settings.mailer_autoconfirm, true);
  assert.equal(settings.external.email, true);
  const health = await fetch(`${env.APPCTL_URL}/auth/v1/health`);
  assert.equal(health.status, 200);
});

test('admin API: the service key creates, lists, updates, bans and deletes users', async () => {
  const admin = createClient(env.APPCTL_URL, env.APPCTL_SERVICE_KEY, options).auth.admin;
  const created = await admin.createUser({
    email: 'frank@example.com',
    password: 'frank password',
    email_confirm: true,
    user_metadata: { name: 'Frank' },
    app_metadata: { plan: 'team' },
  });
  assert.equal(created.error, null, String(created.error));
  const frank = created.data.user;
  assert.equal(frank.email, 'frank@example.com');
  assert.ok(frank.email_confirmed_at);
  assert.equal(frank.app_metadata.plan, 'team');
  assert.equal(frank.app_metadata.provider, 'email');
  const signedIn = await fresh().auth.signInWithPassword({ email: 'frank@example.com', password: 'frank password' });
  assert.equal(signedIn.error, null);

  const page = await admin.listUsers({ page: 1, perPage: 2 });
  assert.equal(page.error, null);
  assert.equal(page.data.users.length, 2);
  assert.ok(page.data.total >= 4, `total ${page.data.total}`);
  assert.equal(page.data.nextPage, 2);
  const emails = (await admin.listUsers({ perPage: 100 })).data.users.map((u) => u.email);
  assert.ok(emails.includes('frank@example.com') && emails.includes('dana@example.com'), emails.join());

  const got = await admin.getUserById(frank.id);
  assert.equal(got.data.user.user_metadata.name, 'Frank');
  const updated = await admin.updateUserById(frank.id, { user_metadata: { team: 'blue' }, app_metadata: { plan: null } });
  assert.equal(updated.error, null);
  assert.deepEqual(updated.data.user.user_metadata, { name: 'Frank', team: 'blue' });
  assert.equal(updated.data.user.app_metadata.plan, undefined);

  const banned = await admin.updateUserById(frank.id, { ban_duration: '24h' });
  assert.equal(banned.error, null);
  const refused = await fresh().auth.signInWithPassword({ email: 'frank@example.com', password: 'frank password' });
  assert.equal(refused.error.code, 'user_banned');
  await admin.updateUserById(frank.id, { ban_duration: 'none' });

  const deleted = await admin.deleteUser(frank.id);
  assert.equal(deleted.error, null);
  const gone = await admin.getUserById(frank.id);
  assert.equal(gone.error.status, 404);
  const again = await fresh().auth.signInWithPassword({ email: 'frank@example.com', password: 'frank password' });
  assert.equal(again.error.code, 'invalid_credentials');
});

test('admin API: refused with the anon key and a user\'s token', async () => {
  const asAnon = await createClient(env.APPCTL_URL, env.APPCTL_ANON_KEY, options).auth.admin.listUsers();
  assert.equal(asAnon.error.status, 403);
  assert.equal(asAnon.error.code, 'not_admin');
  const user = createClient(env.APPCTL_URL, env.APPCTL_TOKEN_A, options).auth.admin;
  const asUser = await user.createUser({ email: 'mallory@example.com', password: 'mallory pw' });
  assert.equal(asUser.error.status, 403);
  const list = await createClient(env.APPCTL_URL, env.APPCTL_SERVICE_KEY, options).auth.admin.listUsers({ perPage: 100 });
  assert.ok(!list.data.users.some((u) => u.email === 'mallory@example.com'));
});
