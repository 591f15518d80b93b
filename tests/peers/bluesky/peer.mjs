// A real Bluesky PDS (@atproto/pds, the reference implementation) with an in-memory PLC
// directory, on loopback, for the connector test. Creates an account and an app password, writes
// {url, identifier, app_password} to the file named by PEER_INFO, and runs until SIGTERM.
// Needs Node 22 (see ../../../.ci/run).
import * as plc from '@did-plc/server';
import { PDS, envToCfg, envToSecrets, readEnv } from '@atproto/pds';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const plcPort = Number(process.env.PLC_PORT || 2582);
const pdsPort = Number(process.env.PDS_PORT || 2583);
const dir = mkdtempSync(join(tmpdir(), 'chorus-pds-'));

const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: plcPort });
await plcServer.start();

Object.assign(process.env, {
  PDS_HOSTNAME: 'localhost',
  PDS_PORT: String(pdsPort),
  PDS_DEV_MODE: 'true',
  PDS_DATA_DIRECTORY: dir,
  PDS_BLOBSTORE_DISK_LOCATION: join(dir, 'blocks'),
  PDS_JWT_SECRET: randomBytes(16).toString('hex'),
  PDS_ADMIN_PASSWORD: 'admin-pass',
  PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: randomBytes(32).toString('hex'), // a valid secp256k1 key with overwhelming probability
  PDS_DID_PLC_URL: `http://localhost:${plcPort}`,
  PDS_SERVICE_HANDLE_DOMAINS: '.test',
  PDS_INVITE_REQUIRED: 'false',
  PDS_CRAWLERS: '',
  LOG_ENABLED: 'false',
});
const env = readEnv();
const pds = await PDS.create(envToCfg(env), envToSecrets(env));
await pds.start();

const url = `http://localhost:${pdsPort}`;
const xrpc = async (method, body, token) => {
  const res = await fetch(`${url}/xrpc/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const account = await xrpc('com.atproto.server.createAccount', {
  handle: 'northwind.test', email: 'northwind@example.test', password: randomBytes(12).toString('hex'),
});
const appPassword = await xrpc('com.atproto.server.createAppPassword', { name: 'chorus' }, account.accessJwt);
// A second account, to be mentioned.
await xrpc('com.atproto.server.createAccount', {
  handle: 'bob.test', email: 'bob@example.test', password: randomBytes(12).toString('hex'),
});
writeFileSync(process.env.PEER_INFO || join(dir, 'peer.json'),
  JSON.stringify({ url, identifier: 'northwind.test', app_password: appPassword.password, did: account.did }));
console.log(`PDS ready at ${url} (account northwind.test, ${account.did})`);

const stop = async () => { await pds.destroy(); await plcServer.destroy(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
