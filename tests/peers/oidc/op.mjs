// A real OpenID provider for Chorus's single sign-on tests: panva's certified `oidc-provider`,
// with its built-in login and consent pages (devInteractions: any username, any password).
//
// Env (all optional):
//   OP_PORT                 port on 127.0.0.1 (default 3080); the issuer is http://127.0.0.1:PORT
//   OP_CLIENT_ID            (default chorus)
//   OP_CLIENT_SECRET        (default chorus-secret)
//   OP_REDIRECT_URIS        comma-separated (default http://127.0.0.1:8080/auth/oidc/callback)
//   OP_POST_LOGOUT_URIS     comma-separated (default http://127.0.0.1:8080/login)
//   OP_ANY_LOOPBACK_PORT    "1": the client is registered as a native app, so (RFC 8252 §7.3) the
//                           redirect URIs match on any port of 127.0.0.1 (a test server's random port)
//   OP_ACCOUNTS             JSON {"<username>": {"email", "name", "department", "title", "email_verified"}};
//                           (default: "ada", a Northwind Outdoor analyst in Research, for the browser
//                           test); other usernames get <username>@example.test, verified, no department
//   OP_INFO                 a file to write {"issuer"} to once listening
import { writeFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const PORT = Number(process.env.OP_PORT || 3080);
const ISSUER = `http://127.0.0.1:${PORT}`;
const list = (v, d) => (v || d).split(',').map((s) => s.trim()).filter(Boolean);
const ACCOUNTS = JSON.parse(
  process.env.OP_ACCOUNTS ||
    '{"ada": {"email": "ada@northwind.example", "name": "Ada Lovelace", "department": "Research", "title": "Data Analyst"}}',
);

const client = {
  client_id: process.env.OP_CLIENT_ID || 'chorus',
  client_secret: process.env.OP_CLIENT_SECRET || 'chorus-secret',
  redirect_uris: list(process.env.OP_REDIRECT_URIS, 'http://127.0.0.1:8080/auth/oidc/callback'),
  post_logout_redirect_uris: list(process.env.OP_POST_LOGOUT_URIS, 'http://127.0.0.1:8080/login'),
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...(process.env.OP_ANY_LOOPBACK_PORT === '1' ? { application_type: 'native' } : {}),
};

const oidc = new Provider(ISSUER, {
  clients: [client],
  async findAccount(ctx, id) {
    const a = ACCOUNTS[id] || {};
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: a.email || `${id}@example.test`,
          email_verified: a.email_verified ?? true,
          name: a.name || `Test ${id}`,
          ...(a.department ? { department: a.department } : {}),
          ...(a.title ? { title: a.title } : {}),
        };
      },
    };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'department', 'title'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['chorus-test-cookie-key-not-secret'] },
  pkce: { required: () => true },
});
oidc.on('server_error', (ctx, err) => console.error('server_error', err));

const server = oidc.listen(PORT, '127.0.0.1', () => {
  console.log(`oidc-provider ${ISSUER} (client ${client.client_id}, redirect ${client.redirect_uris.join(' ')})`);
  if (process.env.OP_INFO) writeFileSync(process.env.OP_INFO, JSON.stringify({ issuer: ISSUER }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
